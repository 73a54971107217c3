//! `lianxin serve`: the whole server in one process.
//!
//! Opens the store, loads the prompts, starts the media engine, the desk (HTTP and
//! WebSocket for the consoles), the SIP user agent and the hotline that drives them, and
//! runs until Ctrl-C or SIGTERM. Each part gets its own handle; one cancellation token
//! reaches the hotline task, and every part is shut down in order on the way out.
//!
//! If a core part stops on its own (the hotline task ends or panics, the UA task is gone,
//! the media engine's pacing thread ends, the desk's HTTP server ends), `run` logs which, shuts the rest down and returns an
//! error, so the process exits non-zero and systemd restarts it (see `liveness`).
//! `GET /healthz` on the console port reports the same parts while running.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lianxin_desk::{Desk, DeskConfig, Directory};
use lianxin_dialer::{Dialer, DriverConfig, OutboundTrunk, ReturnVisits};
use lianxin_hotline::{Handles, Hotline, HotlineConfig, HotlinePrompts};
use lianxin_media::{MediaConfig, MediaEngine, PromptConfig, PromptLibrary};
use lianxin_sip::auth::Algorithm;
use lianxin_sip::registrar::CredentialStore;
use lianxin_store::Store;
use lianxin_ua::{Ua, UaConfig};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::liveness;

/// Options of `lianxin serve` (each overrides the config file).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Use the demo database (./lianxin-demo.db unless --db), generating it if absent,
    /// answer the demo hotline numbers (51663371 and "hotline") and print the demo
    /// log-ins.
    #[arg(long)]
    pub demo: bool,
    /// SIP listen address, UDP and TCP [config: sip_listen; default 0.0.0.0:5060].
    #[arg(long, value_name = "ADDR:PORT")]
    pub sip: Option<SocketAddr>,
    /// Console (HTTP and WebSocket) listen address [config: http_listen; default
    /// 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT")]
    pub http: Option<SocketAddr>,
    /// UDP port range for RTP, e.g. 20000-30000 [config: rtp_ports].
    #[arg(long, value_name = "LOW-HIGH", value_parser = parse_ports)]
    pub rtp_ports: Option<(u16, u16)>,
    /// Folder of WAV prompts [config: prompts_dir; default ./prompts].
    #[arg(long, value_name = "DIR")]
    pub prompts: Option<PathBuf>,
    /// The address phones and trunks reach us at, written into SDP and Contact headers
    /// [config: public_ip; default: the SIP listen address; when that is 0.0.0.0, the
    /// address of the interface holding the default route (127.0.0.1 with --demo)].
    #[arg(long, value_name = "IP")]
    pub public_ip: Option<IpAddr>,
    /// The carrier trunk (or any SIP peer) that group calls are sent to, e.g.
    /// 203.0.113.10:5060 or localhost:5070 [config: [trunk] proxy; default: none, group
    /// calls off].
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_trunk)]
    pub trunk: Option<SocketAddr>,
}

fn parse_trunk(s: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut addrs = s
        .to_socket_addrs()
        .map_err(|e| format!("{s:?} is not HOST:PORT ({e}), e.g. 203.0.113.10:5060"))?;
    addrs
        .find(|a| a.is_ipv4())
        .ok_or_else(|| format!("{s:?} has no IPv4 address"))
}

fn parse_ports(s: &str) -> Result<(u16, u16), String> {
    let (lo, hi) = s
        .split_once('-')
        .ok_or_else(|| format!("{s:?}: expected LOW-HIGH, e.g. 20000-30000"))?;
    let lo: u16 = lo
        .trim()
        .parse()
        .map_err(|_| format!("{lo:?} is not a port number"))?;
    let hi: u16 = hi
        .trim()
        .parse()
        .map_err(|_| format!("{hi:?} is not a port number"))?;
    if lo > hi || hi - lo < 3 {
        return Err(format!(
            "{s}: the range must hold at least two even/odd port pairs"
        ));
    }
    Ok((lo, hi))
}

/// The store's hashed SIP credentials, as the registrar asks for them.
struct StoreCredentials(Store);

impl CredentialStore for StoreCredentials {
    fn ha1(&self, username: &str, realm: &str, algorithm: Algorithm) -> Option<String> {
        let creds = match self.0.sip_credentials(username) {
            Ok(c) => c?,
            Err(e) => {
                tracing::error!(error = %e, "cannot read SIP credentials");
                return None;
            }
        };
        if creds.realm != realm {
            return None;
        }
        Some(match algorithm {
            Algorithm::Md5 => creds.ha1_md5,
            Algorithm::Sha256 => creds.ha1_sha256,
        })
    }
}

/// Demo hotline numbers answered with `--demo` besides the configured ones.
const DEMO_NUMBERS: [&str; 2] = ["51663371", "hotline"];

/// Runs the server until a shutdown signal arrives.
pub async fn run(store: Store, config: &Config, args: &ServeArgs) -> anyhow::Result<()> {
    let sip: SocketAddr = match args.sip {
        Some(a) => a,
        None => config
            .sip_listen
            .parse()
            .with_context(|| format!("sip_listen {:?} is not ADDR:PORT", config.sip_listen))?,
    };
    let http: SocketAddr = match args.http {
        Some(a) => a,
        None => config
            .http_listen
            .parse()
            .with_context(|| format!("http_listen {:?} is not ADDR:PORT", config.http_listen))?,
    };
    let (rtp_lo, rtp_hi) = args
        .rtp_ports
        .unwrap_or((config.rtp_ports[0], config.rtp_ports[1]));
    // The address written into SDP and Contact: configured, else the SIP listen address,
    // else (listening on 0.0.0.0) loopback for the demo and the default-route interface's
    // address for a real installation (worked out by the UA below).
    let configured_ip = args.public_ip.or(config.public_ip).or_else(|| {
        if !sip.ip().is_unspecified() {
            Some(sip.ip())
        } else if args.demo {
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        } else {
            None
        }
    });
    let prompts_dir = prompts_dir(args.prompts.as_deref().or(config.prompts_dir.as_deref()));
    let prompts =
        PromptLibrary::load_dir(&prompts_dir, &PromptConfig::default()).with_context(|| {
            format!(
                "cannot load the prompts from {} (pass --prompts DIR)",
                prompts_dir.display()
            )
        })?;
    for (number, prompt) in &config.hotline.announcements {
        if prompts.get(prompt).is_none() {
            anyhow::bail!(
                "[hotline.announcements] {number:?} plays {prompt:?}, but there is no {prompt}.wav in {}",
                prompts_dir.display()
            );
        }
    }
    let mut numbers = config.hotline_numbers.clone();
    numbers.extend(config.hotline.announcements.keys().cloned());
    if args.demo {
        for n in DEMO_NUMBERS {
            if !numbers.iter().any(|x| x == n) {
                numbers.push(n.to_string());
            }
        }
    }

    // Supervisors dial 55<ext> to listen to an operator's call and 56<ext> to whisper.
    let mut codes = Vec::new();
    for s in store.staff_list()? {
        if let (lianxin_store::Role::Operator, Some(ext)) = (s.role, &s.extension) {
            codes.extend(lianxin_hotline::SupervisionCode::numbers(ext));
        }
    }

    let mut media_config = MediaConfig::new(
        if sip.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            sip.ip()
        },
        Arc::new(prompts),
    );
    media_config.port_range = (rtp_lo, rtp_hi);
    media_config.latch = config.media.latch();
    let media = MediaEngine::start(media_config).context("cannot start the media engine")?;

    let directory: Arc<dyn Directory> = Arc::new(store.clone());
    // Descriptors: SIP and RTP first, HTTP gets the rest up to its cap (issue 10 §6).
    let budget = crate::fd_budget::prepare(
        u64::from(rtp_hi - rtp_lo) + 1,
        config.sip_tcp_max_connections as u64,
        config.desk.max_connections as u64,
    );
    let mut desk_config = DeskConfig::new(http);
    desk_config.max_consoles_per_staff = config.desk.max_consoles_per_staff.max(1);
    desk_config.max_connections = usize::try_from(budget.http).unwrap_or(usize::MAX);
    desk_config.max_connections_per_source = config.desk.max_connections_per_source.max(1);
    desk_config.header_timeout = Duration::from_secs(config.desk.header_timeout_secs);
    desk_config.alarm_sweep = Duration::from_secs(config.desk.alarm_sweep_secs);
    let (desk, desk_commands) = Desk::start(desk_config, directory).await.with_context(|| {
        format!("cannot serve the console on {http} (is the port in use? pass --http ADDR:PORT)")
    })?;

    let mut ua_config = UaConfig::new(sip);
    ua_config.numbers = numbers.iter().chain(codes.iter()).cloned().collect();
    ua_config.realm = lianxin_store::SIP_REALM.to_string();
    ua_config.contact_host = configured_ip.map(|ip| ip.to_string());
    // The trunk: where group calls go (flag, else [trunk] proxy, else its registrar),
    // and the addresses it sends from. It carries every caller, so per-source limits would
    // throttle the whole community: it is exempt, like a proxy in front.
    let outbound = args
        .trunk
        .or_else(|| config.trunk.as_ref().and_then(|t| t.outbound()));
    let mut trunk_ips: Vec<IpAddr> = config
        .trunk
        .as_ref()
        .map(|t| t.addresses())
        .unwrap_or_default();
    trunk_ips.extend(outbound.map(|a| a.ip()));
    trunk_ips.sort();
    trunk_ips.dedup();
    ua_config
        .rate_limit
        .exempt
        .extend(config.rate_limit_exempt.iter().chain(&trunk_ips).copied());
    // Who may call in (issue 10): configured, else anywhere for the demo or without a
    // trunk, else the trunk only (registered phones and exempt addresses always).
    ua_config.accept_from = match &config.hotline.accept_from {
        Some(list) => list.clone(),
        None if args.demo => Vec::new(),
        None => trunk_ips.clone(),
    };
    ua_config.max_calls_per_source = config.hotline.max_calls_per_source;
    ua_config.tcp_max_connections = config.sip_tcp_max_connections;
    ua_config.tcp_max_per_source = config.sip_tcp_max_per_source;
    ua_config.tcp_idle_timeout = Duration::from_secs(config.sip_tcp_idle_secs);
    ua_config.ack_timeout = Duration::from_secs(config.sip_ack_timeout_secs);
    // Registration, when the carrier wants it (checked complete by `Config::check`).
    ua_config.trunk = config.trunk.as_ref().and_then(|t| {
        Some(lianxin_ua::TrunkConfig {
            domain: t.domain.clone()?,
            destination: t.registrar?,
            transport: t.transport(),
            credentials: t.credentials()?,
            expires: Duration::from_secs(t.expires_secs),
            retry_after: Duration::from_secs(30),
        })
    });
    let (ua, ua_events) = Ua::start(ua_config, Arc::new(StoreCredentials(store.clone())))
        .await
        .with_context(|| {
            format!("cannot listen for SIP on {sip} (is the port in use? pass --sip ADDR:PORT)")
        })?;

    let public_ip = configured_ip.unwrap_or_else(|| ua.contact_ip());
    let hotline_config = HotlineConfig {
        flow: config.hotline.flow.clone(),
        acd: lianxin_hotline::acd::AcdConfig {
            ring_timeout: Duration::from_secs(config.hotline.ring_timeout_secs),
            queue_timeout: Duration::from_secs(config.hotline.queue_timeout_secs),
        },
        // The database's hours (an admin changes them in the console); the config file's
        // only seed them on the first start.
        hours: store
            .opening_hours_or_seed(&config.hotline.hours)
            .context("cannot read the opening hours from the database")?,
        media_ip: public_ip,
        sip_host: format!("{public_ip}:{}", ua.local_addr().port()),
        voicemail_dir: config
            .voicemail_dir
            .clone()
            .unwrap_or_else(|| beside_database(store.path(), "voicemail")),
        trust_pai: config.hotline.trust_pai,
        resync_every: Duration::from_secs(5),
        record_calls: config.hotline.record_calls.clone(),
        announcements: config.hotline.announcements.clone(),
    };
    // Admins replace the greeting, the menu… in the console; their recordings are kept
    // beside the database and swapped in now, before the first call.
    desk.set_prompts(Arc::new(HotlinePrompts::load(
        config
            .replaced_prompts_dir
            .clone()
            .unwrap_or_else(|| beside_database(store.path(), "prompts")),
        media.clone(),
    )));
    let stop = CancellationToken::new();
    let hotline_ended = CancellationToken::new();
    let run_hotline = Hotline::run(
        hotline_config,
        Handles {
            ua: ua.clone(),
            ua_events,
            media: media.clone(),
            store: store.clone(),
            desk: desk.clone(),
            desk_commands,
        },
        stop.clone(),
    );
    // Cancelled however the task ends: returning, or a panic unwinding through it.
    let ended_guard = hotline_ended.clone().drop_guard();
    let hotline = tokio::spawn(async move {
        let _ended = ended_guard;
        run_hotline.await;
    });
    let dialer = match outbound {
        Some(destination) => {
            let trunk = match &config.trunk {
                Some(t) => t.outbound_trunk(destination),
                None => OutboundTrunk::at(destination),
            };
            let defaults = config
                .dialer
                .options()
                .map_err(|e| anyhow::anyhow!("[dialer] {e}"))?;
            let dialer = Dialer::start(
                store.clone(),
                ua.clone(),
                media.clone(),
                trunk,
                DriverConfig {
                    rule: config.dialer.dial_rule.clone(),
                    media_ip: public_ip,
                    desk: Some(desk.clone()),
                    defaults: defaults.to_settings(),
                    notices_dir: Some(
                        config
                            .notices_dir
                            .clone()
                            .unwrap_or_else(|| beside_database(store.path(), "notices")),
                    ),
                },
            )
            .context("cannot start the group-call dialer")?;
            desk.set_campaigns(Arc::new(dialer.clone()));
            Some(dialer)
        }
        None => None,
    };
    // Resolved requests are called back (回访) through the dialer; without one, or with
    // return visits off, they go to the captains' manual list.
    let return_visits = ReturnVisits::start(
        store.clone(),
        dialer.clone(),
        config.requests.return_visits(),
    );
    desk.add_health_probe(Arc::new(liveness::SipProbe(ua.clone())));
    desk.add_health_probe(Arc::new(liveness::MediaProbe(media.clone())));
    desk.add_health_probe(Arc::new(liveness::TaskProbe {
        name: "hotline",
        ended: hotline_ended.clone(),
    }));

    let counts = store.counts()?;
    eprintln!(
        "lianxin: database {} ({} households, {} residents)",
        store.path().display(),
        counts.households,
        counts.residents
    );
    eprintln!(
        "lianxin: SIP on {} (UDP and TCP), answering {}",
        ua.local_addr(),
        numbers.join(", ")
    );
    eprintln!(
        "lianxin: supervisors dial {}<extension> to listen to an operator's call, {}<extension> to whisper",
        lianxin_hotline::LISTEN_PREFIX,
        lianxin_hotline::WHISPER_PREFIX
    );
    eprintln!(
        "lianxin: RTP ports {rtp_lo}-{rtp_hi}, media address {public_ip}; prompts from {}",
        prompts_dir.display()
    );
    eprintln!("lianxin: {}", budget.describe());
    if budget.short {
        eprintln!("lianxin: warning: the open-files limit is too low for the RTP range and SIP TCP connections; raise LimitNOFILE or narrow rtp_ports");
    }
    match outbound {
        Some(t) => eprintln!("lianxin: group calls go to the trunk at {t}"),
        None => eprintln!(
            "lianxin: group calls are off: no trunk (pass --trunk HOST:PORT or set [trunk] proxy)"
        ),
    }
    eprintln!(
        "lianxin: console at http://{}/  (WebSocket ws://{}/ws)",
        desk.local_addr(),
        desk.local_addr()
    );
    eprintln!("lianxin: ready. Press Ctrl-C to stop.");
    tracing::info!(sip = %ua.local_addr(), http = %desk.local_addr(), "lianxin serving");

    let failed = tokio::select! {
        _ = shutdown_signal() => None,
        part = liveness::watch(&ua, &media, &desk, &hotline_ended) => Some(part),
    };
    match failed {
        Some(part) => tracing::error!(part, "a core part stopped; ending the server"),
        None => tracing::info!("shutting down"),
    }
    stop.cancel();
    // No new return visit starts while the campaigns stop (queued ones wait for the next
    // start).
    return_visits.abort();
    if let Some(dialer) = &dialer {
        // Calls in flight are hung up and logged interrupted; the campaigns resume at
        // the next start.
        dialer.shutdown(Duration::from_secs(5)).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), hotline).await;
    ua.shutdown().await;
    desk.shutdown().await;
    media.shutdown();
    if let Some(part) = failed {
        anyhow::bail!("the {part} part stopped unexpectedly; the server ended (a supervisor such as systemd should restart it)");
    }
    eprintln!("lianxin: stopped");
    Ok(())
}

/// `./prompts`, else the prompts shipped beside the source tree.
fn prompts_dir(configured: Option<&Path>) -> PathBuf {
    if let Some(p) = configured {
        return p.to_path_buf();
    }
    let local = PathBuf::from("prompts");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts"))
}

/// Voice messages and uploaded notices live beside the database: `<db stem>-<what>/`.
fn beside_database(db: &Path, what: &str) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "lianxin".to_string());
    db.with_file_name(format!("{stem}-{what}"))
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_parse_and_bad_ones_explain() {
        assert_eq!(parse_ports("20000-30000"), Ok((20000, 30000)));
        assert!(parse_ports("30000-20000").is_err());
        assert!(parse_ports("20000").unwrap_err().contains("LOW-HIGH"));
        assert!(parse_ports("a-b").unwrap_err().contains("not a port"));
    }

    #[test]
    fn voicemail_folder_sits_beside_the_database() {
        assert_eq!(
            beside_database(Path::new("/var/lib/lianxin/lianxin.db"), "voicemail"),
            PathBuf::from("/var/lib/lianxin/lianxin-voicemail")
        );
    }
}
