#include "tiny_vision.h"

#include "engine_jobs.h"

#include "llm/language_model.h"
#include "llm/vision_encoder.h"

#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QPainter>

#include <cstring>

namespace atelier::test {

namespace {

bool copyKept(const QString& from, const QString& to) { return QFile::exists(to) || QFile::copy(from, to); }

} // namespace

QString llmFixture(const QString& name) { return QStringLiteral(ATELIER_LLM_FIXTURES "/") + name; }

QString installTinyGemma(const QString& folder, bool withProjector)
{
    const QString model = QDir(folder).filePath(QStringLiteral("tiny_gemma3.gguf"));
    if (!QDir().mkpath(folder) || !copyKept(llmFixture("tiny_gemma3.gguf"), model))
        return {};
    if (withProjector && !copyKept(llmFixture("tiny_gemma3_mmproj.gguf"), QDir(folder).filePath("mmproj-tiny_gemma3.gguf")))
        return {};
    return model;
}

QString installTinyQwen(const QString& folder)
{
    const QString model = QDir(folder).filePath(QStringLiteral("tiny_qwen2.gguf"));
    return QDir().mkpath(folder) && copyKept(llmFixture("tiny_qwen2.gguf"), model) ? model : QString();
}

Result<llm::PictureRef> readPicture(const QString& path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QImage read = reader.read();
    if (read.isNull())
        return makeError(ErrorCode::Format, "cannot read " + path.toStdString());
    QImage image(read.size(), QImage::Format_RGB888);
    image.fill(Qt::white); // transparent pixels over white, as the window and the server read them
    QPainter(&image).drawImage(0, 0, read);
    auto picture = std::make_shared<llm::RgbPicture>();
    picture->width = image.width();
    picture->height = image.height();
    picture->rgb.resize(size_t(image.width()) * size_t(image.height()) * 3);
    for (int y = 0; y < image.height(); ++y)
        std::memcpy(picture->rgb.data() + size_t(y) * size_t(image.width()) * 3, image.constScanLine(y), size_t(image.width()) * 3);
    return llm::PictureRef(std::move(picture));
}

Result<SessionAnswer> sessionAnswer(engine::ComputeEngine& engine, const QString& model, const QString& projector,
                                    const std::string& question, std::vector<llm::PictureRef> pictures,
                                    const llm::GenerationSettings& settings)
{
    auto answer = std::make_shared<SessionAnswer>();
    auto run = runOnEngine(engine, QStringLiteral("reference answer"), [=](engine::JobContext& ctx) -> Result<QVariant> {
        llm::LoadOptions options;
        options.contextLength = 512;
        ATELIER_ASSIGN(auto language, llm::LanguageModel::load(ctx.device(), model.toStdString(), options));
        ATELIER_ASSIGN(auto vision, llm::VisionEncoder::load(ctx.device(), projector.toStdString()));
        llm::ChatSession session(*language);
        ATELIER_TRY(session.setVision(vision.get()));
        session.setMessages({{"user", question, {}, pictures}});
        ATELIER_ASSIGN(const std::string text, session.answer(settings, [](std::string_view) { return true; }, &answer->stats));
        answer->text = QString::fromStdString(text);
        return QVariant();
    });
    if (!run)
        return run.error();
    return *answer;
}

} // namespace atelier::test
