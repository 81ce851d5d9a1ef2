#pragma once
// Regional prompts (layout-to-image): boxes on the picture, each with a prompt of its own, over a
// base prompt for the rest. Each region's text conditioning reaches only the latent pixels inside
// its box: at every UNet resolution every cross-attention runs once per context (the base prompt's
// and each region's) and the outputs are summed with per-pixel weights (unet_blocks.cpp), the
// regions' feathered masks times their strengths, the base taking what they leave:
//   w_r = strength_r * mask_r (scaled down together where they add up to more than 1)
//   w_base = 1 - sum_r w_r

#include "core/result.h"

#include <QString>

#include <span>
#include <vector>

namespace atelier::diffusion {

constexpr int kMaxRegionSlots = 9; // the base prompt and up to 8 regions

struct Region {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0; // picture pixels, x0 < x1, y0 < y1
    QString prompt;
    QString negativePrompt;                // empty: the picture's negative prompt
    double strength = 1.0;                 // 0..1: how much of its box the region's prompt owns
    bool operator==(const Region&) const = default;
};

// The weights the UNet takes: levels[l] = [contexts, (latentHeight >> l) * (latentWidth >> l)], context 0
// the base prompt, summing to 1 at every pixel.
struct RegionWeights {
    int contexts = 1;
    std::vector<std::vector<float>> levels;
};

// Masks for a picture of width x height pixels whose latent is latentWidth x latentHeight, over
// `levels` UNet levels. feather: the width in picture pixels of each box edge's soft ramp (0: hard).
RegionWeights regionWeights(std::span<const Region> regions, int width, int height, int latentWidth, int latentHeight,
                            int levels, double feather);

// The feather regionWeights uses for a picture: 6% of its shorter side, at least 4 pixels.
double defaultFeather(int width, int height);

// Checks regions against a picture of width x height: boxes inside it with some area, strengths in
// 0..1, prompts not empty, at most kMaxRegionSlots - 1 of them.
Status checkRegions(std::span<const Region> regions, int width, int height);

// "X0,Y0,X1,Y1:PROMPT" (pixels), as `atelier generate --region` takes it.
Result<Region> parseRegion(const QString& text);
// A layout file: {"regions": [{"box": [x0, y0, x1, y1], "prompt": "...", "negative": "...",
// "strength": 1.0}, ...]} (negative and strength optional).
Result<std::vector<Region>> parseLayout(const QByteArray& json);
// The same JSON for regions, as Atelier's PNG chunk keeps them.
QByteArray layoutJson(std::span<const Region> regions);
// The regions a picture's A1111 parameters carry (Atelier's "Regions" extra); none when absent.
struct GenerationParameters;
Result<std::vector<Region>> regionsOf(const GenerationParameters& parameters);

} // namespace atelier::diffusion
