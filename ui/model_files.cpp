#include "model_files.h"

#include "core/app_paths.h"

#include <QCoreApplication>
#include <QDir>

namespace atelier::ui {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("atelier::ui::ModelFiles", text); }
QString native(const QString& path) { return QDir::toNativeSeparators(path); }
} // namespace

AwaitedFiles languageModels()
{
    const QString folder = paths::modelsDir();
    return {folder, {QStringLiteral("*.gguf")}, tr("model"), tr("models"),
            tr("No language model found in %1. Put a .gguf file there.").arg(native(folder))};
}

AwaitedFiles imageCheckpoints()
{
    const QString folder = paths::modelsDir();
    return {folder, {QStringLiteral("*.safetensors")}, tr("checkpoint"), tr("checkpoints"),
            tr("No image model found in %1. Put a Stable Diffusion .safetensors checkpoint there.")
                .arg(native(folder))};
}

AwaitedFiles galleryPictures()
{
    const QString folder = paths::galleryDir();
    return {folder,
            {QStringLiteral("*.png"), QStringLiteral("*.jpg"), QStringLiteral("*.jpeg"), QStringLiteral("*.webp")},
            tr("picture"), tr("pictures"),
            tr("No pictures yet — pictures you create appear here. They are kept in %1.").arg(native(folder))};
}

} // namespace atelier::ui
