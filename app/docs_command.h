#pragma once
// `atelier docs add|update|search|list|skipped|remove`: document collections from the terminal
// (issue 21), in the database the window uses; and what `atelier chat --docs NAME` needs.

#include "core/result.h"
#include "docs/collection.h"

#include <QStringList>

#include <memory>
#include <vector>

namespace atelier::app {

// arguments: what follows "docs". 0 on success, 1 on a failure (said on stderr), 2 on a usage error.
int runDocs(int argc, char** argv, const QStringList& arguments, int deviceIndex, bool validation);

// The collections a chat answers from: opens the database (and a QCoreApplication for Qt SQL
// when there is none), finds each named collection, and grounds each question in its chunks, found
// as `atelier docs search` finds them: fused with the collections' embedding model (loaded on a
// device of its own) when it has vectors, else by BM25 alone.
class ChatDocuments {
public:
    static Result<std::unique_ptr<ChatDocuments>> open(const QStringList& names, int k, int deviceIndex = -1,
                                                       bool validation = false);
    ~ChatDocuments();

    // The user's turn with the numbered sources in front of the question; `hits` gets the sources.
    Result<QString> ground(const QString& question, std::vector<docs::Hit>& hits);

private:
    ChatDocuments();
    struct State;
    std::unique_ptr<State> mState;
};

} // namespace atelier::app
