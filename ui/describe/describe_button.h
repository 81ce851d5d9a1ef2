#pragma once
// A "Describe for Create" button for a picture (the Library's chosen one, Create's finished or init
// picture): enabled while Chat's model can read pictures and nothing else is being described,
// otherwise disabled with a tooltip that says why. A click hands its picture to the describer.

#include <QPointer>
#include <QPushButton>

#include <functional>

namespace atelier::ui {

class PictureDescriber;

class DescribeButton : public QPushButton {
    Q_OBJECT
public:
    explicit DescribeButton(const QString& text, QWidget* parent = nullptr);

    void setDescriber(PictureDescriber* describer);
    // The file to describe, asked for on click ("" when there is none, a message said why).
    void setPictureSource(std::function<QString()> source) { mSource = std::move(source); }
    // Whether there is a picture at all (the details pane may show none).
    void setPictureAvailable(bool available);

protected:
    void showEvent(QShowEvent* event) override; // Chat's model may have changed meanwhile

private:
    void updateState();

    QPointer<PictureDescriber> mDescriber;
    std::function<QString()> mSource;
    bool mHasPicture = true;
};

} // namespace atelier::ui
