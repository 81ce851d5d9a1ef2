#pragma once
// `atelier models list|download NAME_OR_URL|verify [NAME...]|remove NAME`: the Models page from a
// terminal. The catalogue is the built-in one unless <data>/catalogue.json or ATELIER_CATALOGUE
// replaces it; files go to the models folder the window's pickers read.

#include <QStringList>

namespace atelier::app {

// arguments: what follows "models". 0 on success, 1 when something failed (said on stderr), 2 on a
// usage error.
int runModels(int argc, char** argv, const QStringList& arguments);

} // namespace atelier::app
