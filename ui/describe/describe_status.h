#pragma once
// While a picture is described: what is happening (loading the model, reading the picture, the
// prompt as it is written), a progress bar and Cancel; afterwards, why it failed, until dismissed.

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QToolButton;

namespace atelier::ui {

class PictureDescriber;

class DescribeStatus : public QWidget {
    Q_OBJECT
public:
    explicit DescribeStatus(PictureDescriber& describer, QWidget* parent = nullptr);

private:
    void showRunning(const QString& text, double fraction);
    void showFailure(const QString& message);

    QLabel* mText = nullptr;
    QProgressBar* mBar = nullptr;
    QPushButton* mCancel = nullptr;
    QToolButton* mDismiss = nullptr;
};

} // namespace atelier::ui
