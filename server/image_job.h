#pragma once
// The compute job behind /v1/images/generations: keeps the served checkpoint loaded on the compute
// thread as the resident "server.image.model", paints `n` pictures with consecutive seeds (stopping
// between denoising steps when the client goes away) and returns them as PNG files.

#include "server/api_requests.h"

#include "engine/job.h"

#include <memory>

#include <QByteArray>
#include <QList>
#include <QMetaType>

namespace atelier::server {

struct ImagesAnswer {
    QList<QByteArray> pngs;
    QList<quint64> seeds;
};

class ImageJob final : public engine::Job {
public:
    ImageJob(ImagesRequest request, QString modelPath, std::shared_ptr<JobFailure> failure);
    QString name() const override { return QStringLiteral("API pictures"); }
    Result<QVariant> run(engine::JobContext& ctx) override;

private:
    Result<QVariant> paint(engine::JobContext& ctx);

    ImagesRequest mRequest;
    QString mModelPath;
    std::shared_ptr<JobFailure> mFailure;
};

} // namespace atelier::server

Q_DECLARE_METATYPE(atelier::server::ImagesAnswer)
