#include "ui/docs/chat_documents.h"

#include "docs/collection_store.h"
#include "docs/retrieval.h"
#include "store/database.h"

#include <QFileInfo>
#include <QMenu>
#include <QRegularExpression>
#include <QUrl>

namespace atelier::ui {

DocumentsButton::DocumentsButton(QWidget* parent) : QToolButton(parent)
{
    setObjectName(QStringLiteral("documentsButton"));
    setPopupMode(QToolButton::InstantPopup);
    setToolButtonStyle(Qt::ToolButtonTextOnly);
    setMenu(new QMenu(this));
    connect(menu(), &QMenu::aboutToShow, this, &DocumentsButton::fillMenu);
    updateText();
}

void DocumentsButton::setSelected(const QStringList& names)
{
    mSelected = names;
    updateText();
}

void DocumentsButton::setLastSearch(const QString& how)
{
    mLastSearch = how;
    updateText();
}

void DocumentsButton::fillMenu()
{
    menu()->clear();
    const QStringList names = mNames ? mNames() : QStringList();
    if (names.isEmpty()) {
        menu()->addAction(tr("No collections yet: Edit > Documents…"))->setEnabled(false);
        return;
    }
    for (const QString& name : names) {
        QAction* action = menu()->addAction(name);
        action->setCheckable(true);
        action->setChecked(mSelected.contains(name));
        connect(action, &QAction::toggled, this, [this, name](bool on) {
            if (on && !mSelected.contains(name))
                mSelected << name;
            else if (!on)
                mSelected.removeAll(name);
            updateText();
            emit edited();
        });
    }
}

void DocumentsButton::updateText()
{
    setText(mSelected.isEmpty() ? tr("Documents: none") : tr("Documents: %1").arg(mSelected.join(QStringLiteral(", "))));
    const QString base = tr("Answer from these document collections (Edit > Documents… makes them)");
    setToolTip(mLastSearch.isEmpty() ? base : tr("%1\nLast question: %2").arg(base, mLastSearch));
}

QStringList collectionNames(store::Database& db)
{
    docs::CollectionStore store(db);
    QStringList names;
    if (auto all = store.list(); all.ok())
        for (const docs::Collection& c : all.value())
            names << c.name;
    return names;
}

std::vector<docs::Hit> findSources(store::Database& db, const QStringList& collections, const QString& question, int k)
{
    docs::CollectionStore store(db);
    std::vector<qint64> ids;
    for (const QString& name : collections)
        if (auto c = store.find(name); c.ok())
            ids.push_back(c->id);
    if (ids.empty())
        return {};
    auto hits = docs::search(store, ids, question, {k, 50});
    return hits.ok() ? std::move(hits).value() : std::vector<docs::Hit>{};
}

QString sourceLink(const docs::Hit& hit)
{
    QUrl url = QUrl::fromLocalFile(hit.path);
    if (hit.page > 0)
        url.setFragment(QStringLiteral("page=%1").arg(hit.page));
    return url.toString(QUrl::FullyEncoded);
}

QString citedAnswer(const QString& answer, const std::vector<docs::Hit>& sources, const QString& note)
{
    if (sources.empty())
        return answer;
    static const QRegularExpression citation(QStringLiteral("\\[(\\d+)\\](?!\\()"));
    QString linked;
    qsizetype at = 0;
    for (auto it = citation.globalMatch(answer); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        const int n = m.captured(1).toInt();
        linked += answer.mid(at, m.capturedStart() - at);
        if (n >= 1 && n <= int(sources.size()))
            linked += QStringLiteral("[[%1]](%2)").arg(n).arg(sourceLink(sources[size_t(n - 1)]));
        else
            linked += m.captured();
        at = m.capturedEnd();
    }
    linked += answer.mid(at);
    linked += QStringLiteral("\n\nSources:\n");
    for (size_t i = 0; i < sources.size(); ++i) {
        const docs::Hit& h = sources[i];
        linked += QStringLiteral("\n%1. [%2, %3](%4)").arg(i + 1).arg(QFileInfo(h.path).fileName(),
                                                                      docs::positionText(h), sourceLink(h));
    }
    if (!note.isEmpty())
        linked += QStringLiteral("\n\n*%1*").arg(QObject::tr("Found by keywords only: %1.").arg(note));
    return linked;
}

} // namespace atelier::ui
