#pragma once
// How a picture enters a prompt, as llama.cpp's mtmd lays it out for each projector: text around
// it, and the tiles whose embeddings stand in the prompt.
//   Gemma 3:  <start_of_image> [the picture fitted to the encoder's square] <end_of_image>
//   Idefics3: the picture resized so its longer side is longestEdge, then to whole tiles; for each
//             tile row by row "<fake_token_around_image><row_R_col_C>" [tile], "\n" between rows;
//             then "\n\n" <fake_token_around_image> <global-img> [the whole picture as one tile]
//             <fake_token_around_image>  (resizing with Pillow's Lanczos filter)

#include "core/result.h"
#include "llm/picture.h"

#include <string>
#include <vector>

namespace atelier::llm {

struct VisionConfig;

struct PicturePart {
    enum class Kind { Text, Token, Tile };
    Kind kind = Kind::Text;
    std::string text; // Text: tokenized with special tokens; Token: the one token whose text this is
    int tile = -1;    // Tile: its index in PicturePlan::tiles
};

struct PicturePlan {
    std::vector<PicturePart> parts;
    std::vector<RgbPicture> tiles; // each imageSize x imageSize
};

Result<PicturePlan> planPicture(const RgbPicture& picture, const VisionConfig& config);

// The size planPicture first resizes a width x height picture to (Gemma 3: fitted into the square;
// Idefics3: the longer side to longestEdge). A picture already of this size plans the same
// geometry, so a large one may be decoded straight at it (server/request_pictures).
std::pair<int, int> plannedSize(int width, int height, const VisionConfig& config);

} // namespace atelier::llm
