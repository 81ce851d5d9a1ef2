#include "file_dialog.h"

#include <QApplication>
#include <QFileDialog>
#include <QLineEdit>
#include <QTimer>
#include <QtTest>

namespace atelier::test {

void answerFileDialog(const QString& path)
{
    auto* timer = new QTimer;
    timer->setInterval(50);
    QObject::connect(timer, &QTimer::timeout, [timer, path] {
        for (QWidget* w : QApplication::topLevelWidgets()) {
            auto* dialog = qobject_cast<QFileDialog*>(w);
            auto* name = dialog && dialog->isVisible() ? dialog->findChild<QLineEdit*>("fileNameEdit") : nullptr;
            if (name) {
                timer->stop();
                timer->deleteLater();
                name->setText(path);
                QTest::keyClick(name, Qt::Key_Return);
                return;
            }
        }
    });
    timer->start();
}

} // namespace atelier::test
