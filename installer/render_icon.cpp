// Renders an SVG into a square PNG at build time, through Qt's SVG image plugin (libqt6svg6,
// already a run-time dependency), so the package's PNG icons need no extra build tool.
//   atelier_render_icon in.svg out.png size

#include <QCoreApplication>
#include <QImage>
#include <QImageReader>
#include <QTextStream>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    QTextStream err(stderr);
    bool sizeOk = false;
    const int size = args.size() == 4 ? args[3].toInt(&sizeOk) : 0;
    if (!sizeOk || size <= 0) {
        err << "usage: atelier_render_icon in.svg out.png size\n";
        return 2;
    }
    QImageReader reader(args[1], "svg");
    reader.setScaledSize(QSize(size, size));
    const QImage image = reader.read();
    if (image.isNull()) {
        err << "atelier_render_icon: cannot render " << args[1] << ": " << reader.errorString() << "\n";
        return 1;
    }
    if (!image.save(args[2], "PNG")) {
        err << "atelier_render_icon: cannot write " << args[2] << "\n";
        return 1;
    }
    return 0;
}
