#include "diffusion/regions.h"

#include "diffusion/generation_parameters.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace atelier::diffusion {

namespace {

// A soft box: 1 well inside, 0 well outside, a linear ramp `feather` wide centred on each edge.
double softBox(const Region& r, double x, double y, double feather)
{
    auto edge = [feather](double inside) { // inside: distance to the edge, positive inside
        if (feather <= 0)
            return inside >= 0 ? 1.0 : 0.0;
        return std::clamp(inside / feather + 0.5, 0.0, 1.0);
    };
    return edge(x - r.x0) * edge(r.x1 - x) * edge(y - r.y0) * edge(r.y1 - y);
}

Error invalid(const std::string& what) { return Error{ErrorCode::InvalidArgument, what}; }

} // namespace

double defaultFeather(int width, int height) { return std::max(4.0, 0.06 * std::min(width, height)); }

RegionWeights regionWeights(std::span<const Region> regions, int width, int height, int latentWidth, int latentHeight,
                            int levels, double feather)
{
    RegionWeights w;
    w.contexts = 1 + int(regions.size());
    constexpr int kSamples = 4; // per cell and axis: coarse levels see how much of each cell a box covers
    for (int level = 0; level < levels; ++level) {
        const int lw = latentWidth >> level, lh = latentHeight >> level;
        const size_t pixels = size_t(lw) * size_t(lh);
        std::vector<float> weights(size_t(w.contexts) * pixels, 0.0f);
        const double cellW = double(width) / lw, cellH = double(height) / lh;
        std::vector<double> mine(regions.size()); // each region's weight at one cell
        for (int cy = 0; cy < lh; ++cy)
            for (int cx = 0; cx < lw; ++cx) {
                const size_t p = size_t(cy) * size_t(lw) + size_t(cx);
                double total = 0;
                for (size_t r = 0; r < regions.size(); ++r) {
                    double covered = 0;
                    for (int sy = 0; sy < kSamples; ++sy)
                        for (int sx = 0; sx < kSamples; ++sx)
                            covered += softBox(regions[r], (cx + (sx + 0.5) / kSamples) * cellW,
                                               (cy + (sy + 0.5) / kSamples) * cellH, feather);
                    mine[r] = regions[r].strength * covered / (kSamples * kSamples);
                    total += mine[r];
                }
                const double scale = total > 1.0 ? 1.0 / total : 1.0;
                weights[p] = float(1.0 - std::min(total, 1.0)); // the base prompt
                for (size_t r = 0; r < regions.size(); ++r)
                    weights[(r + 1) * pixels + p] = float(mine[r] * scale);
            }
        w.levels.push_back(std::move(weights));
    }
    return w;
}

Status checkRegions(std::span<const Region> regions, int width, int height)
{
    if (regions.size() > size_t(kMaxRegionSlots - 1))
        return invalid(std::to_string(regions.size()) + " regions: at most " + std::to_string(kMaxRegionSlots - 1));
    for (size_t i = 0; i < regions.size(); ++i) {
        const Region& r = regions[i];
        const std::string which = "region " + std::to_string(i + 1);
        if (!(r.x0 >= 0 && r.y0 >= 0 && r.x1 <= width && r.y1 <= height && r.x1 - r.x0 >= 1 && r.y1 - r.y0 >= 1))
            return invalid(which + ": the box must lie inside the " + std::to_string(width) + "x" +
                           std::to_string(height) + " picture and span at least a pixel each way");
        if (!(r.strength >= 0 && r.strength <= 1))
            return invalid(which + ": the strength must be between 0 and 1");
        if (r.prompt.trimmed().isEmpty())
            return invalid(which + " has no prompt");
    }
    return {};
}

Result<Region> parseRegion(const QString& text)
{
    const qsizetype colon = text.indexOf(':');
    const QStringList numbers = text.left(colon).split(',');
    Region r;
    bool ok = colon > 0 && numbers.size() == 4;
    double* fields[] = {&r.x0, &r.y0, &r.x1, &r.y1};
    for (int i = 0; ok && i < 4; ++i)
        *fields[i] = numbers[i].trimmed().toDouble(&ok);
    if (!ok)
        return invalid("region '" + text.left(80).toStdString() + "': expected X0,Y0,X1,Y1:PROMPT in pixels");
    r.prompt = text.mid(colon + 1).trimmed();
    if (r.prompt.isEmpty())
        return invalid("region '" + text.left(80).toStdString() + "' has no prompt after the colon");
    return r;
}

Result<std::vector<Region>> parseLayout(const QByteArray& json)
{
    constexpr qsizetype kMaxBytes = 1 << 20;
    if (json.size() > kMaxBytes)
        return invalid("the layout is larger than 1 MiB");
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject() || !doc.object().value("regions").isArray())
        return invalid("the layout is not JSON of the form {\"regions\": [...]}" +
                       (error.error != QJsonParseError::NoError ? ": " + error.errorString().toStdString() : ""));
    std::vector<Region> regions;
    for (const QJsonValue& v : doc.object().value("regions").toArray()) {
        const QJsonObject o = v.toObject();
        const QJsonArray box = o.value("box").toArray();
        const std::string which = "layout region " + std::to_string(regions.size() + 1);
        if (box.size() != 4 || !o.value("prompt").isString())
            return invalid(which + ": needs \"box\": [x0, y0, x1, y1] and a \"prompt\"");
        Region r;
        double* fields[] = {&r.x0, &r.y0, &r.x1, &r.y1};
        for (int i = 0; i < 4; ++i) {
            if (!box[i].isDouble())
                return invalid(which + ": the box holds something that is not a number");
            *fields[i] = box[i].toDouble();
        }
        r.prompt = o.value("prompt").toString();
        r.negativePrompt = o.value("negative").toString();
        r.strength = o.value("strength").toDouble(1.0);
        regions.push_back(std::move(r));
        if (regions.size() > size_t(kMaxRegionSlots - 1))
            return invalid("the layout has more than " + std::to_string(kMaxRegionSlots - 1) + " regions");
    }
    return regions;
}

Result<std::vector<Region>> regionsOf(const GenerationParameters& parameters)
{
    for (const auto& [key, value] : parameters.extras)
        if (key == QLatin1String("Regions"))
            return parseLayout(value.toUtf8());
    return std::vector<Region>{};
}

QByteArray layoutJson(std::span<const Region> regions)
{
    QJsonArray list;
    for (const Region& r : regions) {
        QJsonObject o{{"box", QJsonArray{r.x0, r.y0, r.x1, r.y1}}, {"prompt", r.prompt}};
        if (!r.negativePrompt.isEmpty())
            o.insert("negative", r.negativePrompt);
        if (r.strength != 1.0)
            o.insert("strength", r.strength);
        list.append(o);
    }
    return QJsonDocument(QJsonObject{{"regions", list}}).toJson(QJsonDocument::Compact);
}

} // namespace atelier::diffusion
