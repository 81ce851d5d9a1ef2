// Runs every diffusion golden test class (one per *_test.cpp, registered with ATELIER_DIFFUSION_TEST).

#include <QCoreApplication>

namespace atelier::test {
int runDiffusionTests(int argc, char** argv);
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    return atelier::test::runDiffusionTests(argc, argv);
}
