#include "diffusion/lora_weights.h"

#include "diffusion/checkpoint_tensors.h"
#include "diffusion/stable_diffusion.h"
#include "ops/lora_merge.h"
#include "vk/device.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <spdlog/spdlog.h>

#include <cstring>

namespace atelier::diffusion {

LoraMerger::LoraMerger(vk::Device& device, std::span<const BoundMatrix> unet, std::span<const BoundMatrix> text,
                       const UNetConfig& config)
    : mDevice(device), mTargets(unet, text, config)
{
}

Status LoraMerger::restore()
{
    for (const BoundMatrix* m : mTouched)
        ATELIER_TRY(restoreMatrix(mDevice, *m));
    mTouched.clear();
    mUses.clear();
    mApplied.clear();
    return {};
}

Status LoraMerger::merge(const LoraFile& file, const LoraUse& use)
{
    // Each module's up and down go up as f32, one batch per file; they are freed once it ran.
    std::vector<std::pair<ops::Tensor, ops::Tensor>> pairs;
    pairs.reserve(file.modules.size());
    for (const LoraModule& m : file.modules) {
        const int64_t cols = m.target->weight.dim(1);
        ATELIER_ASSIGN(ops::Tensor up, ops::Tensor::fromFloats(mDevice, DType::F32, {m.target->out, m.rank}, m.up));
        ATELIER_ASSIGN(ops::Tensor down, ops::Tensor::fromFloats(mDevice, DType::F32, {m.rank, cols}, m.down));
        pairs.emplace_back(std::move(up), std::move(down));
    }
    for (const LoraModule& m : file.modules)
        mTouched.insert(m.target);
    return mDevice.execute([&](vk::CommandBatch& batch) -> Status {
        for (size_t i = 0; i < file.modules.size(); ++i) {
            const LoraModule& m = file.modules[i];
            const bool unet = std::string_view(m.target->name).starts_with(kUNetPrefix);
            const float scale = (unet ? use.unetWeight : use.textWeight) * m.alphaScale;
            ATELIER_ASSIGN(ops::Tensor weight, m.target->weight.view(m.target->weight.shape));
            ATELIER_TRY(ops::loraMerge(batch, weight, pairs[i].first, pairs[i].second, scale));
        }
        return {};
    });
}

Status LoraMerger::apply(std::span<const LoraUse> uses)
{
    if (std::equal(uses.begin(), uses.end(), mUses.begin(), mUses.end()))
        return {};
    ATELIER_TRY(restore());
    for (const LoraUse& use : uses) {
        Result<LoraFile> file = readLoraFile(use.path, mTargets);
        Status merged = file ? merge(*file, use) : Status(file.error());
        if (!merged) {
            const Status restored = restore();
            if (!restored)
                spdlog::warn("could not upload the base weights again: {}", restored.error().message);
            return merged;
        }
        AppliedLora applied{use.name, loraShortHash(use.path), int(file->modules.size()), file->skippedKeys};
        spdlog::info("LoRA {} ({}): {} UNet and {} text-encoder weights changed, {} keys skipped", use.name,
                  applied.shortHash, file->unetModules, file->textModules, file->skippedKeys);
        mApplied.push_back(std::move(applied));
        mUses.push_back(use);
    }
    return {};
}

std::string loraShortHash(const std::string& path)
{
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    uint64_t headerBytes = 0;
    if (file.read(reinterpret_cast<char*>(&headerBytes), 8) != 8 || headerBytes > uint64_t(file.size()) - 8 ||
        !file.seek(qint64(8 + headerBytes)))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return {};
    return QString::fromLatin1(hash.result().toHex()).left(12).toStdString();
}

Result<std::string> findLora(const QString& folder, const QString& name)
{
    const QString fileName = name + QStringLiteral(".safetensors");
    if (name.isEmpty() || name.contains(QLatin1Char('/')) || name.contains(QLatin1Char('\\')))
        return makeError(ErrorCode::InvalidArgument, "'" + name.toStdString() + "' is no LoRA name");
    if (QFileInfo(folder + QLatin1Char('/') + fileName).isFile())
        return (folder + QLatin1Char('/') + fileName).toStdString();
    QDirIterator it(folder, {fileName}, QDir::Files, QDirIterator::Subdirectories);
    if (it.hasNext())
        return it.next().toStdString();
    return makeError(ErrorCode::InvalidArgument,
                     "there is no LoRA '" + name.toStdString() + "' (" + fileName.toStdString() + ") in " + folder.toStdString());
}

QStringList listLoras(const QString& folder)
{
    QStringList names;
    QDirIterator it(folder, {QStringLiteral("*.safetensors")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        names << QFileInfo(it.next()).completeBaseName();
    names.sort(Qt::CaseInsensitive);
    names.removeDuplicates();
    return names;
}

Status applyPromptLoras(StableDiffusion& model, const std::vector<LoraTag>& tags, const QString& folder)
{
    std::vector<LoraUse> uses;
    for (const LoraTag& tag : tags) {
        Result<std::string> path = tag.valid ? findLora(folder, tag.name)
                                             : Result<std::string>(makeError(ErrorCode::InvalidArgument,
                                                   "the LoRA tag <lora:" + tag.name.toStdString() +
                                                   ":...> needs a number as its weight"));
        if (!path) {
            const Status restored = model.loras().apply({});  // a failed request leaves the base weights
            if (!restored)
                spdlog::warn("could not upload the base weights again: {}", restored.error().message);
            return path.error();
        }
        uses.push_back({std::move(*path), tag.name.toStdString(), float(tag.weight), float(tag.unetWeight)});
    }
    return model.loras().apply(uses);
}

QString loraHashesText(const std::vector<AppliedLora>& applied)
{
    QStringList items;
    for (const AppliedLora& lora : applied)
        items << QString::fromStdString(lora.name + ": " + lora.shortHash);
    return items.join(QStringLiteral(", "));
}

} // namespace atelier::diffusion
