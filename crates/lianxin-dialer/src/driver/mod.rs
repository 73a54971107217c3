//! The dialer's tokio driver: runs campaigns over real calls.
//!
//! [`Dialer::start`] gives a cloneable [`DialerHandle`]; each running campaign is one task
//! ([`runner`]) owning its [`Campaign`](crate::Campaign) machine, and each placed call one
//! task ([`call`]) owning its [`Leg`](lianxin_leg::Leg). All campaigns share one
//! [`Journal`] (the batched log writer); its confirmations of attempt rows are routed back
//! to the campaign that asked. The handle implements [`lianxin_desk::CampaignControl`],
//! the seam the desk's HTTP API uses, and campaign updates go to an optional
//! [`DeskHandle`] ([`publish`]).
//!
//! Why this split: the rules live in the sans-IO machine; this module only moves
//! messages between it, the UA, the media engine, the log and the consoles.

mod call;
mod clock;
mod invites;
mod notices;
mod publish;
mod return_visits;
mod runner;
mod trunk;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lianxin_desk::campaigns::BoxFuture;
use lianxin_desk::{CampaignControl, CampaignLive, CampaignRefused, DeskHandle, NoticeInfo};
use lianxin_leg::LegContext;
use lianxin_media::prompt::names;
use lianxin_media::{MediaHandle, Prompt, PromptConfig};
use lianxin_store::{CampaignKind, CampaignSettings, CampaignStatus, NewCampaign, Store};
use lianxin_ua::UaHandle;
use tokio::sync::mpsc;

use crate::{Campaign, CampaignOptions, DialRule, Journal, Notice, Stored};
use call::CallAudio;
use notices::NoticeLibrary;
pub use notices::MAX_UPLOAD as MAX_NOTICE_UPLOAD;
use publish::Publisher;
pub use return_visits::ReturnVisits;
use runner::{Input, Shared};
pub use trunk::OutboundTrunk;

/// Bound of a campaign's queue of confirmed attempt rows (the log writer waits when full).
const STORED_QUEUE: usize = 4096;

/// How the driver dials.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// How stored numbers are dialled on the trunk.
    pub rule: DialRule,
    /// Our RTP address as written into SDP.
    pub media_ip: IpAddr,
    /// Where campaign updates go (`None`: nowhere).
    pub desk: Option<DeskHandle>,
    /// Options for what a console's request leaves out (`[dialer]` config).
    pub defaults: CampaignSettings,
    /// Where uploaded notices are kept (`None`: uploads refused, prompts only).
    pub notices_dir: Option<PathBuf>,
}

/// The dialer could not start.
#[derive(Debug, thiserror::Error)]
pub enum DialerError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] lianxin_store::StoreError),
    /// The log writer thread could not start.
    #[error("campaign log writer: {0}")]
    Journal(#[from] std::io::Error),
}

/// The dialer service (see the module docs).
#[derive(Debug)]
pub struct Dialer;

/// A running campaign's task, as the handle sees it.
struct Entry {
    inputs: mpsc::Sender<Input>,
    stored: mpsc::Sender<Stored>,
    live: Arc<Mutex<Option<CampaignLive>>>,
    /// A group call (staff see it live); a return visit is not listed.
    listed: bool,
}

type Registry = Arc<Mutex<HashMap<i64, Entry>>>;

struct Inner {
    store: Store,
    notices: NoticeLibrary,
    shared: Arc<Shared>,
    config: DriverConfig,
    registry: Registry,
}

/// Controls the dialer; cheap to clone.
#[derive(Clone)]
pub struct DialerHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DialerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialerHandle").finish_non_exhaustive()
    }
}

impl Dialer {
    /// Starts the dialer (inside a tokio runtime): the log writer, and a task for every
    /// campaign the store says is running or paused (resumed after a restart).
    pub fn start(
        store: Store,
        ua: UaHandle,
        media: MediaHandle,
        trunk: OutboundTrunk,
        config: DriverConfig,
    ) -> Result<DialerHandle, DialerError> {
        let registry: Registry = Arc::default();
        let routes = registry.clone();
        let journal = Journal::start(store.clone(), move |s: Stored| {
            let campaign = match &s {
                Stored::Logged { campaign, .. } | Stored::NotLogged { campaign, .. } => *campaign,
            };
            let tx = routes
                .lock()
                .ok()
                .and_then(|r| r.get(&campaign).map(|e| e.stored.clone()));
            if let Some(tx) = tx {
                let _ = tx.blocking_send(s);
            }
        })?;
        let notices = NoticeLibrary::new(config.notices_dir.clone(), media.clone());
        let ctx = LegContext {
            ua,
            media,
            media_ip: config.media_ip,
        };
        let handle = DialerHandle {
            inner: Arc::new(Inner {
                store: store.clone(),
                notices,
                shared: Arc::new(Shared {
                    ctx,
                    trunk,
                    journal,
                    invites: invites::InviteWindow::new(invites::WINDOW),
                }),
                config,
                registry,
            }),
        };
        for id in store.unfinished_campaigns()? {
            if let Err(e) = handle.run(id) {
                tracing::warn!(campaign = id, error = %e, "campaign not resumed");
            }
        }
        Ok(handle)
    }
}

impl DialerHandle {
    /// Starts the task of stored campaign `id` (new, or resumed after a restart).
    pub(crate) fn run(&self, id: i64) -> Result<(), CampaignRefused> {
        let inner = &self.inner;
        let saved = inner
            .store
            .campaign_saved(id)
            .map_err(|e| refused(500, None, format!("数据库错误：{e}")))?
            .ok_or_else(|| refused(404, None, format!("没有编号为 {id} 的群拨任务")))?;
        let notice = self.notice(&saved.campaign.notice)?;
        let kind = saved.campaign.kind;
        let audio = self.audio(id, notice, kind, saved.campaign.settings.confirm_key);
        let now = clock::now();
        let mut campaign = Campaign::new(now, &saved, inner.config.rule.clone())
            .map_err(|e| refused(409, None, format!("群拨任务无法运行：{e}")))?;
        if saved.campaign.status == CampaignStatus::Paused {
            campaign.pause(now);
        }
        let (inputs_tx, inputs) = mpsc::channel(16);
        let (stored_tx, stored) = mpsc::channel(STORED_QUEUE);
        let live = Arc::new(Mutex::new(None));
        let mut registry = inner
            .registry
            .lock()
            .map_err(|_| refused(503, None, "群拨服务出错".into()))?;
        if registry.contains_key(&id) {
            return Err(refused(409, None, format!("群拨任务 {id} 已在运行")));
        }
        registry.insert(
            id,
            Entry {
                inputs: inputs_tx,
                stored: stored_tx,
                live: live.clone(),
                listed: kind == CampaignKind::Notice,
            },
        );
        drop(registry);
        // A return visit is the server's own call: no campaign frames to the consoles.
        let desk = match kind {
            CampaignKind::Notice => inner.config.desk.clone(),
            CampaignKind::ReturnVisit => None,
        };
        let publisher = Publisher::new(desk, saved.campaign.name, live);
        let shared = inner.shared.clone();
        let routes = inner.registry.clone();
        tokio::spawn(async move {
            let channels = runner::Channels { inputs, stored };
            runner::run(shared, campaign, audio, channels, publisher).await;
            if let Ok(mut r) = routes.lock() {
                r.remove(&id);
            }
        });
        Ok(())
    }

    /// What campaign `id`'s calls play: the notice, then for a group call that asks for a
    /// key the "press 1 to confirm" prompt. A return visit's question already asks for
    /// the key, so only the wait for it follows.
    fn audio(&self, id: i64, notice: Arc<Prompt>, kind: CampaignKind, key: bool) -> CallAudio {
        let confirm = match (key, kind) {
            (false, _) => None,
            (true, CampaignKind::ReturnVisit) => Some(None),
            (true, CampaignKind::Notice) => {
                let p = self
                    .inner
                    .shared
                    .ctx
                    .media
                    .prompt(names::CONFIRM_HEARD)
                    .ok();
                if p.is_none() {
                    tracing::warn!(
                        campaign = id,
                        "no {}.wav among the prompts: households are not told to press 1",
                        names::CONFIRM_HEARD
                    );
                }
                Some(p)
            }
        };
        CallAudio { notice, confirm }
    }

    /// The notice's audio: a prompt, an uploaded notice, or (from Rust callers and the
    /// store of an older campaign) a file.
    pub(crate) fn notice(&self, notice: &str) -> Result<Arc<Prompt>, CampaignRefused> {
        let bad = |e: String| refused(400, Some("notice"), format!("通知录音不可用：{e}"));
        match Notice::parse(notice).map_err(|e| bad(e.to_string()))? {
            Notice::Prompt(name) => self.inner.notices.resolve(&name),
            Notice::File(path) => Prompt::load(&path, &PromptConfig::default())
                .map(Arc::new)
                .map_err(|e| bad(e.to_string())),
        }
    }

    /// Sends `input` to campaign `id`'s task.
    fn send(&self, id: i64, input: Input) -> Result<(), CampaignRefused> {
        let tx = self
            .inner
            .registry
            .lock()
            .ok()
            .and_then(|r| r.get(&id).map(|e| e.inputs.clone()))
            .ok_or_else(|| match self.inner.store.campaign(id) {
                // It exists but is over: the request comes too late, not to a wrong id.
                Ok(Some(c)) => refused(
                    409,
                    Some("campaign"),
                    format!(
                        "群拨任务 {id}（{}）已经结束，不能再暂停、继续或取消",
                        c.name
                    ),
                ),
                _ => refused(404, Some("campaign"), format!("没有编号为 {id} 的群拨任务")),
            })?;
        tx.try_send(input)
            .map_err(|_| refused(503, None, "群拨服务忙，请稍后再试".into()))
    }

    /// The options a campaign's request leaves out default to (`[dialer]`).
    pub fn default_settings(&self) -> &CampaignSettings {
        &self.inner.config.defaults
    }

    /// Where a return visit's `request.updated` goes.
    pub(crate) fn desk(&self) -> Option<&DeskHandle> {
        self.inner.config.desk.as_ref()
    }

    /// Creates campaign `new` in the store and starts it; its id.
    pub fn start_campaign(&self, new: &NewCampaign) -> Result<i64, CampaignRefused> {
        CampaignOptions::from_settings(&new.settings)
            .map_err(|e| refused(400, None, format!("群拨选项有误：{e}")))?;
        self.notice(&new.notice)?;
        if self.inner.notices.is_retired(&new.notice) {
            return Err(refused(
                400,
                Some("notice"),
                format!(
                    "通知录音“{}”已停用；请选择其他通知，或重新上传这段录音",
                    new.notice
                ),
            ));
        }
        let id = self
            .inner
            .store
            .create_campaign(new, clock::now().utc)
            .map_err(|e| refused(400, None, format!("无法创建群拨任务：{e}")))?;
        self.run(id)?;
        Ok(id)
    }

    /// Pauses campaign `id`.
    pub fn pause_campaign(&self, id: i64) -> Result<(), CampaignRefused> {
        self.send(id, Input::Pause)
    }

    /// Resumes campaign `id`.
    pub fn resume_campaign(&self, id: i64) -> Result<(), CampaignRefused> {
        self.send(id, Input::Resume)
    }

    /// Cancels campaign `id`.
    pub fn cancel_campaign(&self, id: i64) -> Result<(), CampaignRefused> {
        self.send(id, Input::Cancel)
    }

    /// The server stops: every campaign ends its calls (interrupted) and will resume at
    /// the next start.
    pub fn stop(&self) {
        let senders: Vec<_> = match self.inner.registry.lock() {
            Ok(r) => r.values().map(|e| e.inputs.clone()).collect(),
            Err(_) => return,
        };
        for tx in senders {
            let _ = tx.try_send(Input::Stop);
        }
    }

    /// Stops every campaign ([`stop`](Self::stop)) and waits, at most `within`, until
    /// their tasks have logged the interrupted calls and ended.
    pub async fn shutdown(&self, within: std::time::Duration) {
        self.stop();
        let until = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < until {
            let left = self.inner.registry.lock().map(|r| r.len()).unwrap_or(0);
            if left == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tracing::warn!("campaigns still stopping at shutdown; their calls resume as interrupted");
    }

    /// Retires notice `name` unless a running or paused campaign plays it (blocking: reads
    /// the store, moves a file).
    pub fn retire(&self, name: &str) -> Result<(), CampaignRefused> {
        let same = |n: &str| n.replace('_', "-") == name.replace('_', "-");
        let store = &self.inner.store;
        let unfinished = store
            .unfinished_campaigns()
            .map_err(|e| refused(503, None, format!("无法读取群拨任务：{e}")))?;
        for id in unfinished {
            if let Ok(Some(c)) = store.campaign(id) {
                if same(&c.notice) {
                    return Err(refused(
                        409,
                        Some("name"),
                        format!(
                            "群拨任务“{}”（{id}）正在使用这段通知录音；请等它结束或取消后再停用",
                            c.name
                        ),
                    ));
                }
            }
        }
        self.inner.notices.retire(name)
    }

    /// Whether campaign `id` has a running (or paused) task.
    pub fn is_running(&self, id: i64) -> bool {
        self.inner
            .registry
            .lock()
            .map(|r| r.contains_key(&id))
            .unwrap_or(false)
    }

    /// The running and paused group calls with their latest figures (return visits are
    /// not listed).
    pub fn live_campaigns(&self) -> Vec<CampaignLive> {
        let Ok(r) = self.inner.registry.lock() else {
            return Vec::new();
        };
        r.values()
            .filter(|e| e.listed)
            .filter_map(|e| e.live.lock().ok().and_then(|l| l.clone()))
            .collect()
    }
}

fn refused(status: u16, field: Option<&str>, message: String) -> CampaignRefused {
    CampaignRefused {
        status,
        field: field.map(str::to_owned),
        message,
    }
}

impl CampaignControl for DialerHandle {
    fn start(&self, new: NewCampaign) -> BoxFuture<'_, Result<i64, CampaignRefused>> {
        // Creating a campaign writes and reads SQLite (and may load a WAV file): that
        // waits, so it runs off the runtime's workers, not on the desk's request task.
        let this = self.clone();
        Box::pin(async move {
            // A console names notices; it never makes the server read a file of its choice.
            if !matches!(Notice::parse(&new.notice), Ok(Notice::Prompt(_))) {
                return Err(refused(
                    400,
                    Some("notice"),
                    "请填写通知录音的名称（先上传录音文件）".into(),
                ));
            }
            tokio::task::spawn_blocking(move || this.start_campaign(&new))
                .await
                .unwrap_or_else(|_| Err(refused(503, None, "群拨服务出错".into())))
        })
    }

    fn pause(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        Box::pin(async move { self.pause_campaign(id) })
    }

    fn resume(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        Box::pin(async move { self.resume_campaign(id) })
    }

    fn cancel(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        Box::pin(async move { self.cancel_campaign(id) })
    }

    fn live(&self) -> Vec<CampaignLive> {
        self.live_campaigns()
    }

    fn defaults(&self) -> CampaignSettings {
        self.inner.config.defaults.clone()
    }

    fn notices(&self) -> Vec<NoticeInfo> {
        self.inner.notices.list()
    }

    fn add_notice(
        &self,
        name: String,
        audio: Vec<u8>,
    ) -> BoxFuture<'_, Result<NoticeInfo, CampaignRefused>> {
        let notices = self.inner.notices.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || notices.add(&name, &audio))
                .await
                .unwrap_or_else(|_| Err(refused(503, None, "群拨服务出错".into())))
        })
    }

    fn retire_notice(&self, name: String) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        let this = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || this.retire(&name))
                .await
                .unwrap_or_else(|_| Err(refused(503, None, "群拨服务出错".into())))
        })
    }

    fn notice_audio(&self, name: String) -> BoxFuture<'_, Result<Vec<u8>, CampaignRefused>> {
        let notices = self.inner.notices.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || notices.wav(&name))
                .await
                .unwrap_or_else(|_| Err(refused(503, None, "群拨服务出错".into())))
        })
    }
}
