#include "chat/chat_workspace.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/chat_input.h"
#include "chat/chat_settings_form.h"
#include "chat/conversation_list.h"
#include "chat/message_view.h"
#include "chat/model_catalog.h"
#include "chat/model_picker.h"
#include "chat/remote_engine.h"
#include "core/app_paths.h"
#include "model_files.h"
#include "models/model_offer.h"
#include "models/models_folder.h"
#include "store/chat_export.h"
#include "store/database.h"
#include "widgets/empty_state.h"
#include "docs/grounding.h"
#include "ui/docs/chat_documents.h"
#include "ui/docs/source_finder.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QScrollArea>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {

constexpr int kTitleLength = 48;

// A new conversation's title: the first line of its first question.
QString titleFrom(const QString& text)
{
    QString line = text.trimmed().section(QLatin1Char('\n'), 0, 0).simplified();
    if (line.size() > kTitleLength)
        line = line.left(kTitleLength - 1).trimmed() + QStringLiteral("…");
    return line.isEmpty() ? QObject::tr("New conversation") : line;
}

llm::GenerationSettings generationFrom(const store::ChatSettings& s)
{
    llm::GenerationSettings g;
    g.sampling.temperature = float(s.temperature);
    g.sampling.topK = s.topK;
    g.sampling.topP = float(s.topP);
    g.sampling.minP = float(s.minP);
    g.sampling.repeatPenalty = float(s.repeatPenalty);
    g.sampling.repeatLastN = s.repeatLastN;
    g.sampling.seed = s.seed >= 0 ? quint64(s.seed) : QRandomGenerator::global()->generate64();
    g.maxTokens = s.maxTokens;
    g.contextLength = s.contextLength;
    return g;
}

QString message(const Error& e) { return QString::fromStdString(e.message); }

} // namespace

ChatWorkspace::ChatWorkspace(engine::ComputeEngine& engine, store::Database* database, const QString& databaseError,
                             QWidget* parent)
    : QWidget(parent)
    , mDatabaseError(databaseError)
    , mEngine(new ChatEngine(engine, this))
    , mCatalog(new ModelCatalog(this))
    , mPages(new QStackedWidget(this))
{
    setObjectName("chatWorkspace");
    mDocumentsDb = database;
    if (database)
        mFinder = new SourceFinder(*database, &engine, this);
    if (database) {
        mStore = std::make_unique<store::ChatStore>(*database);
        (void)mStore->purgeRemoved(); // what was deleted last time and not undone
    }
    mNoModels = new EmptyState(QStringLiteral(":/icons/chat.svg"), tr("Chat"),
                               tr("Talk with a language model that runs on this computer's own GPU."),
                               languageModels(), tr("Open models folder"), mPages);
    mPages->addWidget(mNoModels);
    buildChatPage();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new ModelOffer(this)); // first run: the best catalogue model that fits (issue 19)
    layout->addWidget(mPages);
    connect(models::folderEvents(), &models::FolderEvents::changed, mCatalog, &ModelCatalog::refresh);

    connect(mCatalog, &ModelCatalog::changed, this, [this] {
        updatePage();
        if (mConversation.settings.modelPath.isEmpty())
            mPicker->setCurrentPath(modelFor(mConversation.settings));
        if (!mEngine->answering() && mEngine->loadedPath().isEmpty() && !mEngine->loading())
            loadCurrentModel();
    });
    mCatalog->refresh();
    newConversation();
    reloadList();
    updatePage();
}

ChatWorkspace::~ChatWorkspace()
{
    if (mSaveSettings && mSaveSettings->isActive()) // an edit made just before the window closed
        saveSettingsNow();
}

void ChatWorkspace::saveSettingsNow()
{
    mSaveSettings->stop();
    if (mStore && mConversation.id != 0) {
        if (auto s = mStore->setSettings(mConversation.id, mConversation.settings); !s)
            showStoreError(s.error());
    }
}

void ChatWorkspace::showEvent(QShowEvent* event)
{
    mCatalog->refresh();
    updatePage();
    QWidget::showEvent(event);
}

void ChatWorkspace::buildChatPage()
{
    mChatPage = new QWidget(mPages);
    mList = new ConversationList(mChatPage);
    mPicker = new ModelPicker(*mCatalog, mChatPage);
    mView = new MessageView(mChatPage);
    mInput = new ChatInput(mChatPage);
    setFocusProxy(mInput); // opening Chat puts the cursor where a question is written
    mSettings = new ChatSettingsForm(mChatPage);
    if (store::Database* database = mDocumentsDb)
        mSettings->setDocumentCollections([database] { return collectionNames(*database); });

    auto* settingsScroll = new QScrollArea(mChatPage);
    settingsScroll->setWidget(mSettings);
    settingsScroll->setWidgetResizable(true);
    settingsScroll->setFrameShape(QFrame::NoFrame);
    mSettingsPanel = settingsScroll;
    mSettingsPanel->setObjectName("chatSettingsPanel");
    mSettingsPanel->hide();

    auto* centre = new QWidget(mChatPage);
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->setSpacing(0);
    // The conversation's own actions (issue 18: Export was only in a context menu).
    auto* tools = new QToolBar(centre);
    tools->setObjectName("chatTools");
    tools->setToolButtonStyle(Qt::ToolButtonTextOnly);
    mExportAction = tools->addAction(tr("Export…"), this, [this] { exportConversation(mConversation.id); });
    mExportAction->setObjectName("exportConversationTool");
    mExportAction->setToolTip(tr("Save this conversation as Markdown or JSON"));
    tools->widgetForAction(mExportAction)->setObjectName("exportConversationTool");
    // A row of its own under the model bar, so the window needs no more width than before.
    auto* toolsRow = new QHBoxLayout;
    toolsRow->setContentsMargins(0, 0, 0, 0);
    toolsRow->addStretch(1);
    toolsRow->addWidget(tools);
    centreLayout->addWidget(mPicker);
    centreLayout->addLayout(toolsRow);
    centreLayout->addWidget(mView, 1);
    centreLayout->addWidget(mInput);

    auto* splitter = new QSplitter(Qt::Horizontal, mChatPage);
    splitter->setObjectName("chatSplitter");
    splitter->addWidget(mList);
    splitter->addWidget(centre);
    splitter->addWidget(mSettingsPanel);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({240, 800, 280});
    auto* layout = new QVBoxLayout(mChatPage);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
    mPages->addWidget(mChatPage);

    if (!mStore) {
        auto* error = new QLabel(mChatPage);
        error->setObjectName("databaseError");
        error->setWordWrap(true);
        error->setTextInteractionFlags(Qt::TextSelectableByMouse);
        error->setText(tr("The chat history could not be opened, so nothing will be saved and nothing was "
                          "replaced: %1\nClose other copies of Atelier, or move the file aside to start a new "
                          "history.").arg(mDatabaseError));
        centreLayout->insertWidget(0, error);
        mList->setEnabled(false);
        mInput->setEnabled(false);
    }

    mSaveSettings = new QTimer(this);
    mSaveSettings->setSingleShot(true);
    mSaveSettings->setInterval(400);
    mSearchDelay = new QTimer(this);
    mSearchDelay->setSingleShot(true);
    mSearchDelay->setInterval(150);

    connect(mList, &ConversationList::newRequested, this, &ChatWorkspace::newConversation);
    connect(mList, &ConversationList::selected, this, &ChatWorkspace::openConversation);
    connect(mList, &ConversationList::renameRequested, this, &ChatWorkspace::renameConversation);
    connect(mList, &ConversationList::deleteRequested, this, &ChatWorkspace::removeConversation);
    connect(mList, &ConversationList::exportRequested, this, &ChatWorkspace::exportConversation);
    connect(mList, &ConversationList::undoRequested, this, &ChatWorkspace::undoRemove);
    connect(mList, &ConversationList::filterChanged, mSearchDelay, qOverload<>(&QTimer::start));
    connect(mSearchDelay, &QTimer::timeout, this, &ChatWorkspace::reloadList);

    connect(mPicker, &ModelPicker::modelChosen, this, &ChatWorkspace::chooseModel);
    connect(mPicker, &ModelPicker::unloadRequested, mEngine, &ChatEngine::unload);
    connect(mPicker, &ModelPicker::settingsToggled, mSettingsPanel, &QWidget::setVisible);
    connect(mSettings, &ChatSettingsForm::edited, this, &ChatWorkspace::settingsEdited);
    connect(mSaveSettings, &QTimer::timeout, this, &ChatWorkspace::saveSettingsNow);

    connect(mInput, &ChatInput::sendRequested, this, &ChatWorkspace::send);
    connect(mInput, &ChatInput::stopRequested, this, &ChatWorkspace::stop);
    connect(mView, &MessageView::editSubmitted, this, &ChatWorkspace::editQuestion);
    connect(mView, &MessageView::regenerateRequested, this, &ChatWorkspace::regenerate);
    connect(mView, &MessageView::branchRequested, this, &ChatWorkspace::flipBranch);
    connect(mView, &MessageView::imagePromptRequested, this, &ChatWorkspace::imagePromptRequested);
    connect(mView, &MessageView::retryRequested, this, [this] {
        const store::StoredMessage* last = mTree.find(mConversation.currentLeafId);
        if (last && last->role == QLatin1String("user"))
            startAnswer(last->id);
    });

    connect(mEngine, &ChatEngine::loadStarted, mPicker, &ModelPicker::showLoading);
    // Pictures: offered while a model loads (whether it reads them is known once it has).
    connect(mEngine, &ChatEngine::loadStarted, mInput, [this] { mInput->setPicturesAllowed(true); });
    connect(mEngine, &ChatEngine::loaded, mInput, [this](const LoadedModelInfo& info) {
        mInput->setPicturesAllowed(info.readsPictures, info.visionError);
    });
    connect(mEngine, &ChatEngine::loadFailed, mInput, [this](const QString&, const QString& why) {
        mInput->setPicturesAllowed(false, tr("The model could not be loaded: %1").arg(why));
    });
    connect(mEngine, &ChatEngine::unloaded, mInput, [this] {
        mInput->setPicturesAllowed(false, tr("No model is loaded."));
    });
    connect(mEngine, &ChatEngine::loadProgress, mPicker, &ModelPicker::showProgress);
    connect(mEngine, &ChatEngine::loaded, mPicker, &ModelPicker::showLoaded);
    connect(mEngine, &ChatEngine::loadFailed, mPicker, [this](const QString&, const QString& why) {
        mPicker->showFailed(why);
    });
    connect(mEngine, &ChatEngine::unloaded, mPicker, &ModelPicker::showUnloaded);
    connect(mEngine, &ChatEngine::answerText, this, [this](qint64 conversationId, const QString& piece) {
        mStreamed += piece;
        if (conversationId == mConversation.id)
            mView->appendAnswer(piece);
    });
    connect(mEngine, &ChatEngine::answerPromptProgress, this, [this](qint64 conversationId, double fraction) {
        if (conversationId == mConversation.id)
            mView->showPromptProgress(fraction);
    });
    connect(mEngine, &ChatEngine::answerFinished, this, &ChatWorkspace::answerFinished);
    connect(mEngine, &ChatEngine::answerFailed, this, &ChatWorkspace::answerFailed);

    auto* newShortcut = new QShortcut(QKeySequence::New, this);
    newShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(newShortcut, &QShortcut::activated, this, &ChatWorkspace::newConversation);
    auto* stopShortcut = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    stopShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(stopShortcut, &QShortcut::activated, this, &ChatWorkspace::stop);
}

void ChatWorkspace::updatePage()
{
    // The empty state only while there is nothing to show at all: no model and no history.
    const bool anyModel = !QDir(paths::modelsDir()).entryList({QStringLiteral("*.gguf")}, QDir::Files).isEmpty() ||
                          !mCatalog->models().isEmpty();
    bool anyConversation = false;
    if (mStore) {
        auto all = mStore->conversations();
        anyConversation = all.ok() && !all.value().isEmpty();
    }
    const bool empty = !anyModel && !anyConversation && mStore;
    mPages->setCurrentWidget(empty ? static_cast<QWidget*>(mNoModels) : mChatPage);
}

void ChatWorkspace::updateTools()
{
    if (mExportAction)
        mExportAction->setEnabled(mStore && mConversation.id != 0);
}

void ChatWorkspace::reloadList()
{
    updateTools();
    if (!mStore)
        return;
    auto conversations = mStore->conversations(mList->filter());
    if (!conversations) {
        showStoreError(conversations.error());
        return;
    }
    mList->setConversations(conversations.value(), mConversation.id);
}

void ChatWorkspace::newConversation()
{
    if (mSaveSettings && mSaveSettings->isActive()) // the edits belong to the conversation being left
        saveSettingsNow();
    mConversation = {};
    mConversation.settings = loadChatDefaults();
    mConversation.settings.modelPath = modelFor(mConversation.settings);
    mTree = store::MessageTree({});
    mView->endAnswer();
    mView->showError({});
    mView->showMessages({}, mTree, [](const QString&) { return QString(); });
    mView->setPlaceholder(tr("Ask anything. The answer is written on this computer; nothing leaves it."));
    mSettings->setSettings(mConversation.settings);
    mPicker->setCurrentPath(mConversation.settings.modelPath);
    reloadList();
    if (!mEngine->answering())
        loadCurrentModel();
    mInput->focusInput();
}

void ChatWorkspace::openConversation(qint64 id)
{
    if (!mStore || id == mConversation.id)
        return;
    if (mSaveSettings && mSaveSettings->isActive()) // the edits belong to the conversation being left
        saveSettingsNow();
    auto conversation = mStore->conversation(id);
    if (!conversation) {
        showStoreError(conversation.error());
        return;
    }
    mConversation = conversation.value();
    mSettings->setSettings(mConversation.settings);
    mPicker->setCurrentPath(modelFor(mConversation.settings));
    showCurrent();
    if (!mEngine->answering())
        loadCurrentModel();
}

void ChatWorkspace::showCurrent(bool reload)
{
    if (reload && mStore && mConversation.id != 0) {
        auto messages = mStore->messages(mConversation.id);
        if (!messages) {
            showStoreError(messages.error());
            return;
        }
        mTree = store::MessageTree(messages.value());
    }
    const auto request = mEngine->currentRequest();
    const bool answeringHere = request && request->conversationId == mConversation.id;
    // While this conversation's answer is written, show the branch up to its question.
    const qint64 leaf = answeringHere ? request->questionId : mConversation.currentLeafId;
    mView->endAnswer();
    mView->showError({});
    mView->showMessages(mTree.path(leaf), mTree, [this](const QString& file) { return authorName(file); });
    if (answeringHere) {
        mView->beginAnswer(authorName(QFileInfo(request->modelPath).fileName()));
        mView->appendAnswer(mStreamed);
    } else if (const store::StoredMessage* last = mTree.find(leaf);
               last && last->role == QLatin1String("user") && mFindingFor != mConversation.id) {
        // Left unanswered: the app was closed mid-answer, or the answer failed.
        mView->showError(tr("This question has no answer yet."));
    }
    setAnswering(answering());
    updateTools();
}

void ChatWorkspace::send(const QString& text, const QStringList& pictures)
{
    if (!mStore || answering() || (text.trimmed().isEmpty() && pictures.isEmpty()))
        return;
    if (mConversation.id == 0) {
        auto created = mStore->createConversation(titleFrom(text), mConversation.settings);
        if (!created) {
            showStoreError(created.error());
            mInput->setText(text);
            mInput->setPictures(pictures);
            return;
        }
        mConversation = created.value();
    }
    auto added = mStore->addMessage(mConversation.id, mConversation.currentLeafId, QStringLiteral("user"), text, {},
                                    pictures);
    if (!added) {
        showStoreError(added.error());
        mInput->setText(text); // nothing is lost: the text and pictures go back into the box
        mInput->setPictures(pictures);
        return;
    }
    mConversation.currentLeafId = added.value().id;
    reloadList();
    startAnswer(added.value().id);
}

void ChatWorkspace::startAnswer(qint64 questionId)
{
    const QString model = modelFor(mConversation.settings);
    if (model.isEmpty()) {
        showCurrent();
        mView->showError(tr("There is no language model to answer with. Put a .gguf file in %1 or use "
                            "\"Open model file…\".").arg(QDir::toNativeSeparators(paths::modelsDir())));
        return;
    }
    ChatRequest request;
    request.conversationId = mConversation.id;
    request.questionId = questionId;
    request.modelPath = model;
    request.contextLength = mConversation.settings.contextLength;
    request.systemPrompt = mConversation.settings.systemPrompt;
    if (mStore && mConversation.id != 0) { // the question may have just been added
        if (auto all = mStore->messages(mConversation.id); all.ok())
            mTree = store::MessageTree(all.value());
    }
    for (const store::StoredMessage& m : mTree.path(questionId)) {
        QStringList pictures;
        for (const QString& name : m.pictures)
            pictures << store::chatPicturePath(name);
        request.turns.append({m.role, m.text, pictures});
    }
    request.generation = generationFrom(mConversation.settings);
    request.loras = mConversation.settings.loras;
    // Documents: the question goes to the model with the collections' best chunks as numbered
    // sources, found first (with an embedding model, the question's vector comes from the engine).
    mSources.clear();
    mSourcesNote.clear();
    if (mFinder && !mConversation.settings.documents.isEmpty() && !request.turns.isEmpty()) {
        mFindingFor = request.conversationId;
        const QString question = request.turns.last().text;
        mFinder->find(mConversation.settings.documents, question, mConversation.settings.documentSources, [this, request](const FoundSources& found) mutable {
            mFindingFor = 0;
            mSources = found.hits;
            mSourcesNote = found.fallback;
            if (auto* documents = mSettings->findChild<DocumentsButton*>())
                documents->setLastSearch(found.how);
            request.turns.last().text = docs::groundedQuestion(request.turns.last().text, mSources);
            sendRequest(request);
        });
        if (mFinder->busy())
            showCurrent(false); // Stop shows while the sources are found
        return;
    }
    sendRequest(request);
}

void ChatWorkspace::sendRequest(const ChatRequest& request)
{
    mStreamed.clear();
    mEngine->answer(request);
    showCurrent(false); // the tree was just read
}

bool ChatWorkspace::answering() const { return mEngine->answering() || (mFinder && mFinder->busy()); }

void ChatWorkspace::answerFinished(const ChatRequest& request, const ChatAnswer& answer)
{
    mStreamed.clear();
    if (mStore && !answer.text.isEmpty()) {
        auto added = mStore->addMessage(request.conversationId, request.questionId, QStringLiteral("assistant"),
                                        citedAnswer(answer.text, mSources, mSourcesNote), answer.stats);
        if (!added)
            showStoreError(added.error());
        else if (request.conversationId == mConversation.id)
            mConversation.currentLeafId = added.value().id;
    }
    if (request.conversationId == mConversation.id)
        showCurrent();
    setAnswering(false);
    reloadList();
}

void ChatWorkspace::answerFailed(const ChatRequest& request, const QString& why)
{
    mStreamed.clear();
    setAnswering(false);
    if (request.conversationId != mConversation.id)
        return;
    showCurrent();
    mView->showError(tr("No answer: %1").arg(why));
}

void ChatWorkspace::setAnswering(bool answering)
{
    mInput->setAnswering(answering);
    mView->setActionsEnabled(!answering);
}

void ChatWorkspace::stop()
{
    if (mFinder && mFinder->busy()) { // still finding the sources: the question stays unanswered
        mFinder->cancel();
        mFindingFor = 0;
        showCurrent(false);
    }
    mEngine->stop();
}

void ChatWorkspace::askAboutPicture(const QString& path)
{
    newConversation();
    mInput->setPictures({});
    mInput->attachPicture(path); // when the model reads no pictures, the input says why
    mInput->focusInput();
}

void ChatWorkspace::regenerate(qint64 assistantId)
{
    const store::StoredMessage* answer = mTree.find(assistantId);
    if (!answer || answering())
        return;
    startAnswer(answer->parentId);
}

void ChatWorkspace::editQuestion(qint64 userId, const QString& text)
{
    const store::StoredMessage* question = mTree.find(userId);
    if (!question || !mStore || answering())
        return;
    // The edited question keeps the pictures it was asked with.
    auto added = mStore->addMessage(mConversation.id, question->parentId, QStringLiteral("user"), text, {},
                                    question->pictures);
    if (!added) {
        showStoreError(added.error());
        return;
    }
    mConversation.currentLeafId = added.value().id;
    startAnswer(added.value().id);
}

void ChatWorkspace::flipBranch(qint64 messageId, int step)
{
    if (!mStore || answering())
        return;
    const QList<qint64> siblings = mTree.siblings(messageId);
    const qsizetype at = siblings.indexOf(messageId) + step;
    if (at < 0 || at >= siblings.size())
        return;
    const qint64 leaf = mTree.latestLeaf(siblings[at]);
    if (auto s = mStore->setCurrentLeaf(mConversation.id, leaf); !s) {
        showStoreError(s.error());
        return;
    }
    mConversation.currentLeafId = leaf;
    showCurrent();
}

void ChatWorkspace::removeConversation(qint64 id)
{
    if (!mStore)
        return;
    if (const auto request = mEngine->currentRequest(); request && request->conversationId == id)
        mEngine->stop();
    if (mFindingFor == id) {
        mFinder->cancel();
        mFindingFor = 0;
    }
    auto conversation = mStore->conversation(id);
    if (auto s = mStore->remove(id); !s) {
        showStoreError(s.error());
        return;
    }
    mRemovedId = id;
    mList->offerUndo(tr("Deleted \"%1\".").arg(conversation.ok() ? conversation.value().title : QString()));
    if (id == mConversation.id)
        newConversation();
    else
        reloadList();
}

void ChatWorkspace::undoRemove()
{
    if (!mStore || mRemovedId == 0)
        return;
    if (auto s = mStore->restore(mRemovedId); !s) {
        showStoreError(s.error());
        return;
    }
    const qint64 id = mRemovedId;
    mRemovedId = 0;
    mList->hideUndo();
    openConversation(id);
    reloadList();
}

void ChatWorkspace::renameConversation(qint64 id, const QString& title)
{
    if (!mStore)
        return;
    if (auto s = mStore->rename(id, title); !s)
        showStoreError(s.error());
    if (id == mConversation.id)
        mConversation.title = title;
    QTimer::singleShot(0, this, &ChatWorkspace::reloadList); // not from inside the list's own signal
}

void ChatWorkspace::exportConversation(qint64 id)
{
    if (!mStore)
        return;
    auto conversation = mStore->conversation(id);
    auto messages = mStore->messages(id);
    if (!conversation || !messages) {
        showStoreError(!conversation ? conversation.error() : messages.error());
        return;
    }
    QString filter;
    const QString suggested = QDir::home().filePath(titleFrom(conversation.value().title).remove(QLatin1Char('/')));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export conversation"), suggested + ".md",
                                                      tr("Markdown (*.md);;JSON (*.json)"), &filter);
    if (path.isEmpty())
        return;
    const QList<store::StoredMessage> branch =
        store::MessageTree(messages.value()).path(conversation.value().currentLeafId);
    const bool json = path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive) || filter.startsWith("JSON");
    QSaveFile file(path);
    const QByteArray bytes = json ? store::exportJson(conversation.value(), branch)
                                  : store::exportMarkdown(conversation.value(), branch).toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        QMessageBox::warning(this, tr("Export conversation"),
                             tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
}

void ChatWorkspace::settingsEdited()
{
    const QString model = mConversation.settings.modelPath;
    mConversation.settings = mSettings->settings();
    mConversation.settings.modelPath = model;
    mSaveSettings->start();
}

void ChatWorkspace::chooseModel(const QString& path)
{
    mConversation.settings.modelPath = path;
    mSettings->setSettings(mConversation.settings);
    if (mStore && mConversation.id != 0) {
        if (auto s = mStore->setSettings(mConversation.id, mConversation.settings); !s)
            showStoreError(s.error());
    }
    if (!mEngine->answering())
        loadCurrentModel();
}

void ChatWorkspace::loadCurrentModel()
{
    const QString model = modelFor(mConversation.settings);
    const ModelEntry* e = mCatalog->find(model);
    if ((e && e->usable()) || RemoteEndpoint::fromModelPath(model))
        mEngine->load(model, mConversation.settings.contextLength);
}

QString ChatWorkspace::modelFor(const store::ChatSettings& settings) const
{
    // A conversation keeps its model even while the catalog is still being read.
    if (!settings.modelPath.isEmpty() &&
        (QFileInfo::exists(settings.modelPath) || mCatalog->scanning() || RemoteEndpoint::fromModelPath(settings.modelPath)))
        return settings.modelPath;
    return mCatalog->pick(settings.modelPath);
}

QString ChatWorkspace::authorName(const QString& modelFile) const
{
    // The model's own name when the catalog knows the file, else the file name.
    for (const ModelEntry& e : mCatalog->models()) {
        if (QFileInfo(e.path).fileName() == modelFile)
            return e.displayName();
    }
    return modelFile.isEmpty() ? tr("Assistant") : modelFile;
}

void ChatWorkspace::showStoreError(const Error& error)
{
    mView->showError(tr("The chat history could not be saved: %1").arg(message(error)));
}

} // namespace atelier::ui
