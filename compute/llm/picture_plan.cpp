#include "llm/picture_plan.h"

#include "llm/vision_config.h"

namespace atelier::llm {

namespace {

using Kind = PicturePart::Kind;

// Idefics3: the longer side to `edge`, the other in proportion rounded down to an even number.
std::pair<int, int> longestEdgeSize(int pictureWidth, int pictureHeight, int edge)
{
    const double aspect = double(pictureWidth) / double(pictureHeight);
    int width = edge, height = edge;
    if (pictureWidth >= pictureHeight) {
        height = std::max(1, int(edge / aspect));
        height += height % 2;
    } else {
        width = std::max(1, int(edge * aspect));
        width += width % 2;
    }
    return {width, height};
}

Result<PicturePlan> gemma3Plan(const RgbPicture& picture, const VisionConfig& c)
{
    PicturePlan plan;
    ATELIER_ASSIGN(RgbPicture fitted, fitSquare(picture, c.imageSize));
    plan.tiles.push_back(std::move(fitted));
    plan.parts = {{Kind::Text, "<start_of_image>", -1}, {Kind::Tile, {}, 0}, {Kind::Text, "<end_of_image>", -1}};
    return plan;
}

Result<PicturePlan> idefics3Plan(const RgbPicture& picture, const VisionConfig& c)
{
    ATELIER_TRY(picture.valid() ? Status{} : makeError(ErrorCode::InvalidArgument, "the picture is empty"));
    const int tile = c.imageSize;
    const auto [width, height] = longestEdgeSize(picture.width, picture.height, c.longestEdge);
    const int columns = (width + tile - 1) / tile, rows = (height + tile - 1) / tile;
    ATELIER_ASSIGN(const RgbPicture resized, resize(picture, width, height, Resample::Lanczos));
    ATELIER_ASSIGN(const RgbPicture refined, resize(resized, columns * tile, rows * tile, Resample::Lanczos));
    ATELIER_ASSIGN(RgbPicture overview, resize(refined, tile, tile, Resample::Lanczos));

    PicturePlan plan;
    for (int r = 0; r < rows; ++r) {
        for (int col = 0; col < columns; ++col) {
            ATELIER_ASSIGN(RgbPicture part, crop(refined, col * tile, r * tile, tile, tile));
            plan.parts.push_back({Kind::Text, "<fake_token_around_image><row_" + std::to_string(r + 1) + "_col_" +
                                                  std::to_string(col + 1) + ">", -1});
            plan.parts.push_back({Kind::Tile, {}, int(plan.tiles.size())});
            plan.tiles.push_back(std::move(part));
        }
        if (r + 1 < rows)
            plan.parts.push_back({Kind::Token, "\n", -1});
    }
    for (const char* token : {"\n\n", "<fake_token_around_image>", "<global-img>"})
        plan.parts.push_back({Kind::Token, token, -1});
    plan.parts.push_back({Kind::Tile, {}, int(plan.tiles.size())});
    plan.tiles.push_back(std::move(overview));
    plan.parts.push_back({Kind::Token, "<fake_token_around_image>", -1});
    return plan;
}

} // namespace

std::pair<int, int> plannedSize(int width, int height, const VisionConfig& c)
{
    if (width < 1 || height < 1)
        return {width, height};
    switch (c.projector) {
    case Projector::Gemma3: return fittedSize(width, height, c.imageSize);
    case Projector::Idefics3: return longestEdgeSize(width, height, c.longestEdge);
    }
    return {width, height};
}

Result<PicturePlan> planPicture(const RgbPicture& picture, const VisionConfig& c)
{
    switch (c.projector) {
    case Projector::Gemma3: return gemma3Plan(picture, c);
    case Projector::Idefics3: return idefics3Plan(picture, c);
    }
    return makeError(ErrorCode::Unsupported, "unknown vision projector");
}

} // namespace atelier::llm
