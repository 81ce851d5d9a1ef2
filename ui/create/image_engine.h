#pragma once
// Create's end of the compute engine: a queue of pictures to make. Each job loads the requested
// checkpoint when another (or none) is loaded — it stays on the compute thread as a resident for
// the next job — then generates, sending a preview after every step. Every call returns at once;
// results come back as signals on the UI thread.

#include "diffusion/generation.h"
#include "diffusion/inpaint.h"
#include "engine/compute_engine.h"

#include <QByteArray>
#include <QImage>
#include <QList>
#include <QObject>
#include <QString>

#include <optional>
#include <vector>

namespace atelier::ui {

// Inpainting's extra part of a request (diffusion::InpaintRequest without the generation).
struct InpaintPart {
    std::vector<float> mask; // [height, width] in [0, 1], 1 = repaint; generation.initImage is the picture
    int grow = 0;            // pixels; negative shrinks
    int feather = 4;         // pixels of blur on the mask's edge
    bool onlyMasked = false;
    int padding = 32;
    diffusion::MaskedFill fill = diffusion::MaskedFill::Original;
};

// One picture to make.
struct ImageRequest {
    QString modelPath;
    QString vaePath;                        // a separate VAE; empty: the checkpoint's own
    QString initImagePath;                  // img2img: where generation.initImage came from
    diffusion::GenerationRequest generation; // seed already resolved (never random here)
    std::optional<InpaintPart> inpaint;      // set: inpaint generation.initImage under the mask
};

// One finished picture: the pixels, the PNG to save (with its text chunks) and what made it.
struct ImageResult {
    ImageRequest request;
    QImage image;
    QByteArray png;
    diffusion::GenerationParameters parameters;
    QByteArray json;                        // the `atelier` chunk
    double seconds = 0;                     // from the job's start, model load included
};

// A step's preview on its way to the UI thread.
struct ImagePreview {
    int step = 0;
    int steps = 0;
    QImage image;
};

class ImageEngine : public QObject {
    Q_OBJECT
public:
    explicit ImageEngine(engine::ComputeEngine& engine, QObject* parent = nullptr);
    ~ImageEngine() override;

    // Queues a picture; returns its ticket (the compute job's id).
    engine::JobId enqueue(const ImageRequest& request);
    // Takes a waiting picture out of the queue at once, or stops the running one at its next step.
    void cancel(engine::JobId ticket);
    void cancelAll();

    // The most that step previews decoded by the VAE may add to a picture's sampling time (issue
    // 18); between them the model's latent map, fitted to its VAE when the share is above 0 (0: the
    // published map, no calibration). For pictures queued from now on.
    static constexpr double kDefaultPreviewDecodeShare = 0.15;
    void setPreviewDecodeShare(double share) { mPreviewDecodeShare = share; }

    struct Ticket {
        engine::JobId id = 0;
        ImageRequest request;
        bool running = false;
    };
    // Queued and running pictures, oldest first.
    const QList<Ticket>& queue() const { return mQueue; }
    bool busy() const { return !mQueue.isEmpty(); }

signals:
    void queueChanged();
    void started(atelier::engine::JobId ticket);
    void progress(atelier::engine::JobId ticket, double fraction, const QString& text);
    // After every denoising step: the step's x0 estimate at latent resolution.
    void preview(atelier::engine::JobId ticket, int step, int steps, const QImage& image);
    void finished(atelier::engine::JobId ticket, const atelier::ui::ImageResult& result);
    void failed(atelier::engine::JobId ticket, const QString& message);
    void cancelled(atelier::engine::JobId ticket);

private:
    Ticket* find(engine::JobId id);
    void remove(engine::JobId id);

    engine::ComputeEngine& mEngine;
    QList<Ticket> mQueue;
    double mPreviewDecodeShare = kDefaultPreviewDecodeShare;
};

// A sentence for the user about why a picture failed, with what to try (the job's error message).
QString explainImageError(const Error& error, const ImageRequest& request);

} // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::ImageResult)
Q_DECLARE_METATYPE(atelier::ui::ImagePreview)
