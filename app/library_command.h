#pragma once
// `atelier library import FILE...`: the Library's drop import, scriptable. Each PNG made by
// AUTOMATIC1111, sd.cpp, Atelier or any tool writing A1111 `parameters` is copied into the gallery
// and recorded in the database the window uses.

#include <QStringList>

namespace atelier::app {

// arguments: what follows "library". Returns 0 when every file was imported, 1 when any was refused
// (each refusal says why on stderr), 2 on a usage error.
int runLibrary(int argc, char** argv, const QStringList& arguments);

} // namespace atelier::app
