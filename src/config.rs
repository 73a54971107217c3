//! The configuration file (TOML) and its defaults.
//!
//! Every key is optional; command-line flags override the file. See
//! `deploy/lianxin.example.toml` for a documented example.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// SQLite database file (`--db` / `LIANXIN_DB` override it).
    pub database: Option<PathBuf>,
    /// Area code for 7–8 digit local numbers (Beijing: "010").
    pub local_area: String,
    /// SIP listen address (UDP and TCP).
    pub sip_listen: String,
    /// HTTP/WebSocket listen address for the desk consoles.
    pub http_listen: String,
    /// First and last UDP port for RTP.
    pub rtp_ports: [u16; 2],
    /// The hotline numbers we answer (as dialled; normalized when compared).
    pub hotline_numbers: Vec<String>,
    /// The address phones and trunks reach us at (SDP and Contact); default: the SIP
    /// listen address, or 127.0.0.1 when that is 0.0.0.0.
    pub public_ip: Option<std::net::IpAddr>,
    /// Folder of WAV prompts (default `./prompts`).
    pub prompts_dir: Option<PathBuf>,
    /// Folder for voice messages (default: `<database name>-voicemail/` beside the database).
    pub voicemail_dir: Option<PathBuf>,
    /// The inbound call flow.
    pub hotline: HotlineSection,
    /// The carrier's SIP trunk: where group calls go, and registration when it wants it.
    pub trunk: Option<TrunkSection>,
    /// Group-call defaults and the dial rule (`[dialer]`).
    pub dialer: lianxin_dialer::DialerConfig,
    /// Folder for notices uploaded by staff (default: `<database name>-notices/` beside
    /// the database).
    pub notices_dir: Option<PathBuf>,
    /// Folder for the hotline prompts admins replaced in the console (default:
    /// `<database name>-prompts/` beside the database). The shipped `prompts_dir` is
    /// never written.
    pub replaced_prompts_dir: Option<PathBuf>,
    /// Addresses never rate-limited: a carrier trunk that sends calls from a fixed IP
    /// without registering, a trusted proxy. Everyone else is limited per source address
    /// (a SIP scanner's flood cannot starve real calls).
    pub rate_limit_exempt: Vec<std::net::IpAddr>,
    /// Most SIP TCP connections at once.
    pub sip_tcp_max_connections: usize,
    /// Most SIP TCP connections from one address (trusted addresses excepted).
    pub sip_tcp_max_per_source: usize,
    /// Seconds a SIP TCP connection may stay silent when no registration or call uses it.
    pub sip_tcp_idle_secs: u64,
    /// Seconds an answered call waits for the caller's ACK before it is hung up and its
    /// RTP ports freed (1–32; default 8). RFC 3261 allows 32; a flood of never-ACKed
    /// INVITEs from a trusted address would hold ports that long.
    pub sip_ack_timeout_secs: u64,
    /// The desk consoles (`[desk]`).
    pub desk: DeskSection,
    /// RTP media (`[media]`).
    pub media: MediaSection,
    /// Requests (`[requests]`): the automatic return visit.
    pub requests: RequestsSection,
}

/// `[requests]`: the automatic return visit (回访) after a request is resolved.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestsSection {
    /// Call the resident back after a request is resolved, play the question ("满意请按1，
    /// 不满意请按2", `prompts/return_visit.wav`) and record the key as the feedback.
    /// Needs the trunk of group calls. Default true.
    pub auto_return_visit: bool,
    /// Calls before the resident counts as not reached and the request goes on the
    /// captain's manual return-visit list (1–6). Default 2.
    pub return_visit_attempts: u32,
    /// Seconds between those calls. Default 1800.
    pub return_visit_retry_secs: u64,
    /// Seconds after the resolution before the call (within the `[dialer]` calling
    /// window). Default 0.
    pub return_visit_delay_secs: u64,
}

impl Default for RequestsSection {
    fn default() -> Self {
        let d = lianxin_dialer::ReturnVisitConfig::default();
        RequestsSection {
            auto_return_visit: d.enabled,
            return_visit_attempts: d.attempts,
            return_visit_retry_secs: d.retry_gap.as_secs(),
            return_visit_delay_secs: d.delay.as_secs(),
        }
    }
}

impl RequestsSection {
    /// The dialer's return-visit settings.
    pub fn return_visits(&self) -> lianxin_dialer::ReturnVisitConfig {
        lianxin_dialer::ReturnVisitConfig {
            enabled: self.auto_return_visit,
            attempts: self.return_visit_attempts,
            retry_gap: std::time::Duration::from_secs(self.return_visit_retry_secs),
            delay: std::time::Duration::from_secs(self.return_visit_delay_secs),
            ..Default::default()
        }
    }
}

/// `[media]`: which sources a call accepts RTP from (issue 10, point 2; the rules are in
/// `crates/lianxin-media/src/latch.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSection {
    /// Milliseconds after the SDP is known within which a phone behind NAT may be learned
    /// from the source of its packets (symmetric RTP). 0: RTP only from the address in
    /// the SDP. Default 2000.
    pub latch_window_ms: u64,
    /// Milliseconds the current source must have been silent before another is learned.
    /// Default 1000.
    pub latch_quiet_ms: u64,
    /// Valid packets in a row a new source must send before it is learned (1–20).
    /// Default 3.
    pub latch_probation: u8,
}

impl Default for MediaSection {
    fn default() -> Self {
        let d = lianxin_media::latch::LatchConfig::default();
        MediaSection {
            latch_window_ms: d.window.as_millis() as u64,
            latch_quiet_ms: d.quiet.as_millis() as u64,
            latch_probation: d.probation,
        }
    }
}

impl MediaSection {
    /// The media engine's latch rules.
    pub fn latch(&self) -> lianxin_media::latch::LatchConfig {
        lianxin_media::latch::LatchConfig {
            window: std::time::Duration::from_millis(self.latch_window_ms),
            quiet: std::time::Duration::from_millis(self.latch_quiet_ms),
            probation: self.latch_probation,
        }
    }
}

/// `[desk]`: limits of the consoles' side.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeskSection {
    /// Most consoles (WebSockets) one staff member may have open at once; keeps one
    /// stolen or shared log-in from taking every console slot. Default 4.
    pub max_consoles_per_staff: usize,
    /// Most HTTP connections at once, consoles' WebSockets included (lowered at start
    /// when the open-files limit cannot hold it beside SIP and RTP). Default 2048.
    pub max_connections: usize,
    /// Most HTTP connections from one address. Default 64; behind a reverse proxy
    /// every console comes from the proxy's address, so raise it to `max_connections`.
    pub max_connections_per_source: usize,
    /// Seconds within which a request's head must arrive, after the connection opens or
    /// the previous answer (half-sent requests and idle keep-alives are closed). Default 10.
    pub header_timeout_secs: u64,
    /// Seconds between the comparisons of open requests' alarm colours that push
    /// `request.alarm` (green → orange at level 1, → red after the deadline). Default 30.
    pub alarm_sweep_secs: u64,
}

impl Default for DeskSection {
    fn default() -> Self {
        DeskSection {
            max_consoles_per_staff: 4,
            max_connections: 2_048,
            max_connections_per_source: 64,
            header_timeout_secs: 10,
            alarm_sweep_secs: 30,
        }
    }
}

/// `[trunk]`: the carrier's SIP trunk. Group calls go to `proxy` (else `registrar`);
/// with `registrar` set, Lianxin also registers so the carrier sends hotline calls.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkSection {
    /// Where outbound calls go: "IP:PORT" (no DNS). `--trunk` overrides it.
    #[serde(default)]
    pub proxy: Option<std::net::SocketAddr>,
    /// The trunk's SIP domain, e.g. "bj.ims.example.cn" (Request-URI host of outbound
    /// calls; needed for registration).
    #[serde(default)]
    pub domain: Option<String>,
    /// Where to send REGISTER: "IP:PORT" (no DNS). Absent: no registration.
    #[serde(default)]
    pub registrar: Option<std::net::SocketAddr>,
    /// "udp" (default) or "tcp".
    #[serde(default = "default_transport")]
    pub transport: String,
    /// Digest user name the carrier gave you (registration and challenged calls).
    #[serde(default)]
    pub username: Option<String>,
    /// Digest password the carrier gave you.
    #[serde(default)]
    pub password: Option<String>,
    /// Requested registration lifetime in seconds (refreshed before it lapses).
    #[serde(default = "default_trunk_expires")]
    pub expires_secs: u64,
}

impl TrunkSection {
    /// Where outbound calls go: the proxy, else the registrar.
    pub fn outbound(&self) -> Option<std::net::SocketAddr> {
        self.proxy.or(self.registrar)
    }

    /// The addresses the trunk sends from (hotline calls are accepted from them).
    pub fn addresses(&self) -> Vec<std::net::IpAddr> {
        let mut v: Vec<std::net::IpAddr> = self
            .proxy
            .iter()
            .chain(self.registrar.iter())
            .map(|a| a.ip())
            .collect();
        v.dedup();
        v
    }

    /// Digest credentials, when both halves are set.
    pub fn credentials(&self) -> Option<lianxin_ua::Credentials> {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => Some(lianxin_ua::Credentials {
                username: u.clone(),
                password: p.clone(),
            }),
            _ => None,
        }
    }

    /// The dialer's view of this trunk, with calls going to `destination` (`--trunk`
    /// or [`outbound`](Self::outbound)).
    pub fn outbound_trunk(
        &self,
        destination: std::net::SocketAddr,
    ) -> lianxin_dialer::OutboundTrunk {
        lianxin_dialer::OutboundTrunk {
            destination,
            transport: self.transport(),
            domain: self.domain.clone(),
            credentials: self.credentials(),
        }
    }

    /// UDP or TCP.
    pub fn transport(&self) -> lianxin_ua::Transport {
        if self.transport == "tcp" {
            lianxin_ua::Transport::Tcp
        } else {
            lianxin_ua::Transport::Udp
        }
    }
}

fn default_transport() -> String {
    "udp".to_string()
}

fn default_trunk_expires() -> u64 {
    600
}

/// `[hotline]`: the inbound call flow, queue and opening hours.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HotlineSection {
    /// Seconds an operator's phone rings before the call goes to the next operator.
    pub ring_timeout_secs: u64,
    /// Seconds a caller waits in the queue before being offered a voice message.
    pub queue_timeout_secs: u64,
    /// Take the caller ID from P-Asserted-Identity (only for a trusted carrier trunk).
    pub trust_pai: bool,
    /// Addresses hotline calls are accepted from (trunk, gateways); registered phones and
    /// `rate_limit_exempt` addresses always. Absent: anywhere with `--demo` or without a
    /// trunk, else only the trunk's address. `[]`: anywhere.
    pub accept_from: Option<Vec<std::net::IpAddr>>,
    /// Most live calls from one address (the trunk and `rate_limit_exempt` excepted).
    pub max_calls_per_source: usize,
    /// Record whole conversations (caller and operator, two channels) into this folder.
    /// Off when absent; tell callers in the greeting if you switch it on.
    pub record_calls: Option<PathBuf>,
    /// Information lines: dialled number = prompt played once, then the call ends
    /// (`[hotline.announcements]`, e.g. `"100" = "notice_security"`).
    pub announcements: std::collections::BTreeMap<String, String>,
    /// Prompts, menu keys and timeouts (`[hotline.flow]`).
    #[serde(skip_serializing)]
    pub flow: lianxin_hotline::flow::FlowConfig,
    /// Opening hours in China time (`[hotline.hours]`): they seed the database on the
    /// first start; afterwards the database's (changed by admins) count.
    #[serde(skip_serializing)]
    pub hours: lianxin_hotline::hours::OpeningHours,
}

impl Default for HotlineSection {
    fn default() -> Self {
        HotlineSection {
            ring_timeout_secs: 15,
            queue_timeout_secs: 120,
            trust_pai: false,
            accept_from: None,
            max_calls_per_source: 20,
            record_calls: None,
            announcements: Default::default(),
            flow: Default::default(),
            hours: Default::default(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: None,
            local_area: "010".to_string(),
            sip_listen: "0.0.0.0:5060".to_string(),
            http_listen: "127.0.0.1:8080".to_string(),
            rtp_ports: [20000, 30000],
            hotline_numbers: vec!["51663371".to_string()],
            public_ip: None,
            prompts_dir: None,
            voicemail_dir: None,
            hotline: HotlineSection::default(),
            trunk: None,
            dialer: lianxin_dialer::DialerConfig::default(),
            notices_dir: None,
            replaced_prompts_dir: None,
            rate_limit_exempt: Vec::new(),
            sip_tcp_max_connections: 4096,
            sip_tcp_max_per_source: 32,
            sip_tcp_idle_secs: 60,
            sip_ack_timeout_secs: 8,
            desk: DeskSection::default(),
            media: MediaSection::default(),
            requests: RequestsSection::default(),
        }
    }
}

impl Config {
    /// Reads `path`, or gives the defaults when there is no file.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let config: Config = toml::from_str(&text)
            .with_context(|| format!("config file {} is not valid", path.display()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.rtp_ports[0] > self.rtp_ports[1] {
            anyhow::bail!(
                "rtp_ports: first port {} is above last port {}",
                self.rtp_ports[0],
                self.rtp_ports[1]
            );
        }
        if let Some(t) = &self.trunk {
            if !matches!(t.transport.as_str(), "udp" | "tcp") {
                anyhow::bail!("trunk.transport {:?}: use \"udp\" or \"tcp\"", t.transport);
            }
            if t.expires_secs < 60 {
                anyhow::bail!(
                    "trunk.expires_secs {} is too short (at least 60)",
                    t.expires_secs
                );
            }
            if t.proxy.is_none() && t.registrar.is_none() {
                anyhow::bail!("[trunk] needs proxy = \"IP:PORT\" (where group calls go) or registrar = \"IP:PORT\"");
            }
            if t.username.is_some() != t.password.is_some() {
                anyhow::bail!("[trunk] username and password go together: set both or neither");
            }
            if t.registrar.is_some() && (t.domain.is_none() || t.username.is_none()) {
                anyhow::bail!("[trunk] registrar needs domain, username and password too");
            }
        }
        let defaults = self
            .dialer
            .options()
            .map_err(|e| anyhow::anyhow!("[dialer] {e}"))?;
        self.requests
            .return_visits()
            .check(&defaults.to_settings())
            .map_err(|e| anyhow::anyhow!("[requests] {e}"))?;
        if self.sip_tcp_idle_secs == 0 {
            anyhow::bail!("sip_tcp_idle_secs must be at least 1");
        }
        if !(1..=20).contains(&self.media.latch_probation) {
            anyhow::bail!(
                "[media] latch_probation {} must be from 1 to 20",
                self.media.latch_probation
            );
        }
        if self.media.latch_window_ms > 60_000 {
            anyhow::bail!(
                "[media] latch_window_ms {} is too long (at most 60000; the shorter, the safer)",
                self.media.latch_window_ms
            );
        }
        if self.desk.header_timeout_secs == 0 {
            anyhow::bail!("[desk] header_timeout_secs must be at least 1");
        }
        if !(1..=3600).contains(&self.desk.alarm_sweep_secs) {
            anyhow::bail!(
                "[desk] alarm_sweep_secs {} must be from 1 to 3600",
                self.desk.alarm_sweep_secs
            );
        }
        if !(1..=32).contains(&self.sip_ack_timeout_secs) {
            anyhow::bail!(
                "sip_ack_timeout_secs {} must be from 1 to 32",
                self.sip_ack_timeout_secs
            );
        }
        let area = self.local_area.trim_start_matches('0');
        if area.is_empty() || !area.bytes().all(|b| b.is_ascii_digit()) || area.len() > 3 {
            anyhow::bail!(
                "local_area {:?} is not an area code such as \"010\"",
                self.local_area
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_defaults_fill_gaps() {
        let text = include_str!("../deploy/lianxin.example.toml");
        let c: Config = toml::from_str(text).unwrap();
        c.check().unwrap();
        let partial: Config = toml::from_str("local_area = \"021\"").unwrap();
        assert_eq!(partial.local_area, "021");
        assert_eq!(partial.sip_listen, Config::default().sip_listen);
        assert!(toml::from_str::<Config>("sip_lisen = \"x\"").is_err());
        let bad: Config = toml::from_str("rtp_ports = [30000, 20000]").unwrap();
        assert!(bad.check().is_err());
    }

    #[test]
    fn trunk_section_parses_and_bad_transport_is_named() {
        let text = "[trunk]\ndomain = \"ims.example.cn\"\nregistrar = \"203.0.113.10:5060\"\nusername = \"u\"\npassword = \"p\"\n";
        let c: Config = toml::from_str(text).unwrap();
        c.check().unwrap();
        let t = c.trunk.as_ref().unwrap();
        assert_eq!(t.transport, "udp");
        assert_eq!(t.expires_secs, 600);
        assert_eq!(
            t.outbound(),
            t.registrar,
            "calls go to the registrar without a proxy"
        );
        // An IP trunk: calls go to the proxy, nothing registers.
        let ip: Config = toml::from_str("[trunk]\nproxy = \"198.51.100.2:5060\"\n").unwrap();
        ip.check().unwrap();
        let t = ip.trunk.as_ref().unwrap();
        assert_eq!(t.outbound(), Some("198.51.100.2:5060".parse().unwrap()));
        assert_eq!(t.credentials(), None);
        let neither: Config = toml::from_str("[trunk]\ntransport = \"udp\"\n").unwrap();
        assert!(neither.check().unwrap_err().to_string().contains("proxy"));
        let half: Config =
            toml::from_str("[trunk]\nproxy = \"198.51.100.2:5060\"\nusername = \"u\"\n").unwrap();
        assert!(half.check().unwrap_err().to_string().contains("password"));
        let bad: Config = toml::from_str(&format!("{text}transport = \"sctp\"\n")).unwrap();
        let err = bad.check().unwrap_err().to_string();
        assert!(err.contains("trunk.transport"), "{err}");
        assert!(toml::from_str::<Config>("[hotline]\nring_timeout = 3").is_err());
    }

    #[test]
    fn media_latch_parses_and_bad_values_are_named() {
        let c: Config =
            toml::from_str("[media]\nlatch_window_ms = 0\nlatch_probation = 5\n").unwrap();
        c.check().unwrap();
        let latch = c.media.latch();
        assert_eq!(latch.window, std::time::Duration::ZERO);
        assert_eq!(latch.probation, 5);
        assert_eq!(latch.quiet, std::time::Duration::from_secs(1));
        assert_eq!(
            Config::default().media.latch(),
            lianxin_media::latch::LatchConfig::default()
        );
        let bad: Config = toml::from_str("[media]\nlatch_probation = 0\n").unwrap();
        assert!(bad
            .check()
            .unwrap_err()
            .to_string()
            .contains("latch_probation"));
        assert!(toml::from_str::<Config>("[media]\nlatch = 1\n").is_err());
    }

    #[test]
    fn hotline_accept_from_parses() {
        let c: Config = toml::from_str(
            "[hotline]\naccept_from = [\"203.0.113.10\"]\nmax_calls_per_source = 5\n",
        )
        .unwrap();
        assert_eq!(
            c.hotline.accept_from,
            Some(vec!["203.0.113.10".parse().unwrap()])
        );
        assert_eq!(c.hotline.max_calls_per_source, 5);
        assert_eq!(Config::default().hotline.accept_from, None);
    }

    #[test]
    fn dialer_section_parses_and_bad_values_are_named() {
        let c: Config = toml::from_str(
            "[dialer]\nmax_calls = 800\ncaller_id = \"51663371\"\nwindow_open = \"\"\nwindow_close = \"\"\n[dialer.dial_rule]\nlocal_area = \"010\"\n",
        )
        .unwrap();
        c.check().unwrap();
        let o = c.dialer.options().unwrap();
        assert_eq!(o.max_calls, 800);
        assert_eq!(o.window, None);
        let bad: Config = toml::from_str("[dialer]\nmax_calls = 900\n").unwrap();
        assert!(bad.check().unwrap_err().to_string().contains("max_calls"));
    }

    #[test]
    fn requests_section_sets_the_return_visit_and_bad_values_are_named() {
        let d = Config::default().requests.return_visits();
        assert!(d.enabled);
        assert_eq!(d.attempts, 2);
        assert_eq!(d.delay, std::time::Duration::ZERO);
        let c: Config = toml::from_str(
            "[requests]\nauto_return_visit = false\nreturn_visit_attempts = 3\nreturn_visit_retry_secs = 600\nreturn_visit_delay_secs = 3600\n",
        )
        .unwrap();
        c.check().unwrap();
        let r = c.requests.return_visits();
        assert!(!r.enabled);
        assert_eq!(r.attempts, 3);
        assert_eq!(r.retry_gap, std::time::Duration::from_secs(600));
        assert_eq!(r.delay, std::time::Duration::from_secs(3600));
        let bad: Config = toml::from_str("[requests]\nreturn_visit_attempts = 0\n").unwrap();
        let e = bad.check().unwrap_err().to_string();
        assert!(e.contains("return_visit_attempts"), "{e}");
    }
}
