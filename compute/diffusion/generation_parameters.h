#pragma once
// What made a picture, in AUTOMATIC1111's "parameters" text (../shared/FORMATS.md): the prompt,
// a "Negative prompt:" line when there is one, then "Steps: 20, Sampler: Euler a, ..." — which
// A1111, sd.cpp, Fooocus and most galleries read back.

#include "core/result.h"

#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace atelier::diffusion {

struct GenerationParameters {
    QString prompt;
    QString negativePrompt;
    int steps = 20;
    QString sampler = QStringLiteral("Euler a"); // as A1111 names it; may carry " Karras" in older files
    QString scheduleType;                        // "Karras", ...; empty: the sampler's default
    double cfgScale = 7;
    quint64 seed = 0;
    int width = 512;
    int height = 512;
    QString modelHash; // first 10 hex digits of the checkpoint's sha256 ("AutoV2")
    QString model;     // checkpoint name without extension
    QString vaeHash;
    QString vae;
    std::optional<double> denoisingStrength; // img2img and inpainting
    int clipSkip = 1;                         // written only when > 1
    std::optional<int> maskBlur;
    QList<QPair<QString, QString>> extras; // further "key: value" pairs, in order, kept verbatim
    QString version;                        // "Atelier 0.1.0"

    bool operator==(const GenerationParameters&) const = default;
};

// A1111's "Lora hashes" ("name: 12 hex digits, name: ..."), kept among the extras where A1111 put it,
// so texts read and written again keep their order; empty when absent.
QString loraHashes(const GenerationParameters& p);
// Sets it (in place when present, else at the end of the extras); an empty value removes it.
void setLoraHashes(GenerationParameters& p, const QString& value);

// The text A1111 writes. Values holding ',', ':' or a line break are written as JSON strings.
QString formatA1111(const GenerationParameters& p);

// Reads A1111-style text as A1111's own parser does: the last line holds the parameters when at
// least three "key: value" pairs match there; lines before it are the prompt until one starts with
// "Negative prompt:". Unknown keys land in `extras`. Fails only on text with no prompt and no
// parameter line at all.
Result<GenerationParameters> parseA1111(const QString& text);

} // namespace atelier::diffusion
