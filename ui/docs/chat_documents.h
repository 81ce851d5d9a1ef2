#pragma once
// Documents in a chat: the per-conversation choice of collections (a button with a menu of them),
// the question grounded in their best chunks, and the answer's [n] citations turned into links
// that open the source (a PDF at its page), with the source list under the answer.

#include "docs/collection.h"

#include <QStringList>
#include <QToolButton>

#include <functional>
#include <vector>

namespace atelier::store { class Database; }

namespace atelier::ui {

class DocumentsButton : public QToolButton {
    Q_OBJECT
public:
    explicit DocumentsButton(QWidget* parent = nullptr);

    // Where the menu's names come from (read each time it opens).
    void setCollections(std::function<QStringList()> names) { mNames = std::move(names); }
    void setSelected(const QStringList& names);
    QStringList selected() const { return mSelected; }
    // How the last question's sources were found (keywords and meaning, or keywords only and why),
    // said in the tooltip.
    void setLastSearch(const QString& how);

signals:
    void edited(); // the user ticked or unticked a collection

private:
    void fillMenu();
    void updateText();

    std::function<QStringList()> mNames;
    QStringList mSelected;
    QString mLastSearch;
};

// The names of every collection, for DocumentsButton; empty when the database cannot be read.
QStringList collectionNames(store::Database& db);

// The `k` best chunks of `collections` for `question` by BM25 alone; none when there are no
// collections or nothing matches. A collection that is gone is left out. (Chat asks SourceFinder,
// which fuses in the collections' embedding model when it can.)
std::vector<docs::Hit> findSources(store::Database& db, const QStringList& collections, const QString& question,
                                   int k = 5);

// The link that opens a source: the file, at its page for a PDF ("#page=3").
QString sourceLink(const docs::Hit& hit);

// The answer with each [n] a Markdown link to its source and a numbered source list below; a
// `note` (why keywords alone found them) follows the list in italics.
QString citedAnswer(const QString& answer, const std::vector<docs::Hit>& sources, const QString& note = {});

} // namespace atelier::ui
