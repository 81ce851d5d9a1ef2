#pragma once
// Putting retrieved chunks in front of a chat model and reading its citations back: the sources
// are numbered [1]..[n] in the user's turn (so any chat template carries them), the answer cites
// them by number, and the source list says where each one is.

#include "docs/collection.h"

#include <QList>

#include <vector>

namespace atelier::docs {

// The user's turn: instructions, the numbered sources (each at most `maxCharsPerSource`
// characters), then the question. Without hits it is the question alone.
QString groundedQuestion(const QString& question, const std::vector<Hit>& hits, int maxCharsPerSource = 1500);

// "[1] /notes/cats.md, lines 3-9 (Care > Food)" per hit, one per line.
QString sourceList(const std::vector<Hit>& hits);

// The source numbers an answer cites, in order of first use, each once: "[2]", "[1][3]", "[1, 3]".
// Numbers outside 1..count are ignored.
QList<int> citedSources(const QString& answer, int count);

} // namespace atelier::docs
