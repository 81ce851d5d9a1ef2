#pragma once
// The text chunks of a PNG file (tEXt, zTXt, iTXt): where AUTOMATIC1111 keeps "parameters",
// ComfyUI "prompt" and "workflow", and Atelier its own JSON. Pictures are untrusted input: every
// length is checked and a damaged file gives an error, never a crash.

#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace atelier::io {

struct PngTextChunk {
    QString keyword; // "parameters"
    QString text;
    bool operator==(const PngTextChunk&) const = default;
};

// The most text one chunk may hold, compressed or not: far above any prompt and its parameters
// (A1111's own run to a few KiB), far below what would cost memory or database space (issue 18:
// a 100 MB `parameters` chunk took 1.65 GB to import). A compressed chunk may hold at most this
// many compressed bytes too, which bounds what a zip bomb inflates to before it is refused.
constexpr qsizetype kMaxPngTextBytes = 64 * 1024;

// Every text chunk in file order. tEXt is Latin-1 by the PNG spec, but sd.cpp writes UTF-8 there,
// so valid UTF-8 is read as UTF-8. zTXt and compressed iTXt are inflated. A chunk whose text is
// larger than kMaxPngTextBytes is an error naming its keyword and size.
Result<QList<PngTextChunk>> readPngText(const QByteArray& png);

// The same PNG with `chunks` added before the image data (where PIL, and so A1111, writes them, and
// where readers that stop at the first IDAT look): tEXt when the text is Latin-1, else iTXt with
// UTF-8, both uncompressed so every reader finds them.
Result<QByteArray> addPngText(const QByteArray& png, const QList<PngTextChunk>& chunks);

} // namespace atelier::io
