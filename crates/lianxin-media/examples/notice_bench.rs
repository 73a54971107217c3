//! Group-call notice benchmark: N simultaneous outbound streams of the security notice to
//! receivers on 127.0.0.1.
//!
//! ```sh
//! ulimit -n 20000
//! cargo run --release -p lianxin-media --example notice_bench -- --streams 800 --seconds 30 --runs 3
//! ```
//!
//! The parent process binds N receiver sockets and starts a child process (this same binary
//! with `--child`) that runs the media engine and plays the notice to every receiver at
//! once. The parent measures the child's CPU time and resident memory from `/proc/<pid>`
//! (memory growth = RSS at the end minus RSS after the prompts were loaded) and, at the
//! receivers, the gap between consecutive packets of each stream and lost packets (from
//! sequence numbers). Arrival times are the kernel's (SO_TIMESTAMPNS), so the gaps show the
//! server's pacing, not the receiving process's scheduling delays.
#![allow(clippy::disallowed_methods)] // a benchmark reads the clock

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_media::{
    Codec, MediaConfig, MediaEngine, PlayItem, PromptConfig, PromptLibrary, SessionParams,
};

struct Args {
    streams: usize,
    seconds: u64,
    runs: usize,
    child: bool,
    prompts: PathBuf,
    prompt: String,
    first_port: u16,
    nice: Option<i32>,
    realtime: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        streams: 800,
        seconds: 30,
        runs: 1,
        child: false,
        prompts: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../prompts"),
        prompt: "notice_security".to_owned(),
        first_port: 40000,
        nice: None,
        realtime: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--streams" => a.streams = val().parse().unwrap_or_else(|_| usage("bad --streams")),
            "--seconds" => a.seconds = val().parse().unwrap_or_else(|_| usage("bad --seconds")),
            "--runs" => a.runs = val().parse().unwrap_or_else(|_| usage("bad --runs")),
            "--prompts" => a.prompts = PathBuf::from(val()),
            "--prompt" => a.prompt = val(),
            "--first-port" => {
                a.first_port = val().parse().unwrap_or_else(|_| usage("bad --first-port"))
            }
            "--nice" => a.nice = Some(val().parse().unwrap_or_else(|_| usage("bad --nice"))),
            "--realtime" => a.realtime = true,
            "--child" => a.child = true,
            "--help" | "-h" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    a
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("error: {msg}");
    }
    eprintln!(
        "usage: notice_bench [--streams 800] [--seconds 30] [--runs 1] [--prompts DIR] \
         [--prompt notice_security] [--first-port 40000] [--nice -10] [--realtime]\n\
         --realtime sets MediaConfig::realtime (the server's default; the pacing thread at SCHED_FIFO, needs root or CAP_SYS_NICE)\n\
         --nice runs the server process under `nice -n N` (needs root for N < 0)"
    );
    std::process::exit(2)
}

fn main() {
    let args = parse_args();
    if args.child {
        child(&args);
    } else {
        parent(&args);
    }
}

// ---------------------------------------------------------------------------------------
// The server side: the media engine in its own process.

fn child(args: &Args) {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .expect("ports on stdin");
    let remotes: Vec<SocketAddr> = line
        .split_whitespace()
        .map(|p| SocketAddr::from(([127, 0, 0, 1], p.parse::<u16>().expect("port"))))
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let lib = PromptLibrary::load_dir(&args.prompts, &PromptConfig::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let notice = lib.prompt(&args.prompt).unwrap_or_else(|e| panic!("{e}"));
        let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(lib));
        config.port_range = (args.first_port, args.first_port.saturating_add(9999));
        config.no_media_timeout = Duration::from_secs(3600);
        config.realtime = args.realtime; // off unless asked, to show both
        let media = MediaEngine::start(config).unwrap_or_else(|e| panic!("{e}"));
        say("READY");
        wait_for_go();
        let mut sessions = Vec::with_capacity(remotes.len());
        for &remote in &remotes {
            let (s, ev) = media
                .open(SessionParams {
                    codec: Codec::Pcmu,
                    telephone_event_pt: Some(101),
                    remote: Some(remote),
                })
                .unwrap_or_else(|e| panic!("open: {e}"));
            sessions.push((s, ev));
        }
        for (s, _) in &sessions {
            s.play(vec![PlayItem::Loop(notice.clone())])
                .unwrap_or_else(|e| panic!("play: {e}"));
        }
        say("PLAYING");
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        // Measure before closing (closing finalizes nothing here, but frees memory).
        say("DONE");
        wait_for_go();
        let closing: Vec<_> = sessions
            .into_iter()
            .map(|(s, _)| tokio::spawn(s.close()))
            .collect();
        let mut sent = 0;
        for c in closing {
            sent += c.await.map(|st| st.packets_sent).unwrap_or(0);
        }
        say(&format!(
            "SENT {sent} DROPPED_IN {}",
            media.inbound_dropped()
        ));
    });
}

fn say(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

fn wait_for_go() {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

// ---------------------------------------------------------------------------------------
// The receiving side and the measurements.

#[derive(Default)]
struct StreamStats {
    count: u64,
    first_seq: Option<u16>,
    max_seq: u16,
    ext_max: i64,
    first_at_ns: Option<u64>,
    last_at_ns: Option<u64>,
    gaps_us: Vec<u32>,
}

struct RunResult {
    cpu_pct: f64,
    user_pct: f64,
    rss_base_kb: u64,
    rss_end_kb: u64,
    gaps_us: Vec<u32>,
    received: u64,
    lost: u64,
    sent_line: String,
    /// Packets a perfect sender would have sent between each stream's first and last packet.
    expected: u64,
}

fn parent(args: &Args) {
    for readers in [false, true] {
        let floor = kernel_floor(args.streams, readers);
        println!(
            "kernel floor{}: a bare sendto() of one 172-byte packet costs {:.2} µs of CPU, so {} \
             streams at 50 packets/s need {:.1}% of one core for the system calls alone",
            if readers {
                " (receivers waiting, as in this benchmark)"
            } else {
                " (nobody reading)"
            },
            floor,
            args.streams,
            floor * args.streams as f64 * 50.0 / 1e6 * 100.0
        );
    }
    let mut results = Vec::new();
    for run in 1..=args.runs {
        eprintln!(
            "run {run}/{}: {} streams for {} s",
            args.runs, args.streams, args.seconds
        );
        let r = one_run(args);
        print_run(run, args, &r);
        results.push(r);
    }
    if results.len() > 1 {
        summary(&results);
    }
}

fn one_run(args: &Args) -> RunResult {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sockets: Vec<std::net::UdpSocket> = (0..args.streams)
        .map(|_| {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| {
                eprintln!("cannot bind receiver socket ({e}); run `ulimit -n 20000` first");
                std::process::exit(1)
            });
            s.set_nonblocking(true).expect("nonblocking");
            s
        })
        .collect();
    let ports: Vec<String> = sockets
        .iter()
        .map(|s| s.local_addr().expect("addr").port().to_string())
        .collect();

    let exe = std::env::current_exe().expect("own path");
    let mut cmd = match args.nice {
        Some(n) => {
            let mut c = Command::new("nice");
            c.arg("-n").arg(n.to_string()).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let mut child = cmd
        .args([
            "--child",
            "--streams",
            &args.streams.to_string(),
            "--seconds",
            &args.seconds.to_string(),
            "--prompt",
            &args.prompt,
            "--first-port",
            &args.first_port.to_string(),
        ])
        .arg("--prompts")
        .arg(&args.prompts)
        .args(args.realtime.then_some("--realtime"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start child");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut expect = |what: &str| -> String {
        loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("child exited before {what}"))
                .expect("read child");
            if line.starts_with(what) {
                return line;
            }
        }
    };
    writeln!(stdin, "{}", ports.join(" ")).expect("send ports");
    expect("READY");
    let rss_base_kb = rss_kb(pid);

    // Receivers: one task per socket on a current-thread runtime in its own thread.
    let recv_thread = std::thread::spawn(move || {
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for s in sockets {
                tasks.push(tokio::spawn(async move {
                    enable_kernel_timestamps(&s);
                    let sock = tokio::net::UdpSocket::from_std(s).expect("register");
                    let mut st = StreamStats {
                        gaps_us: Vec::with_capacity(2000),
                        ..Default::default()
                    };
                    let mut buf = [0u8; 1500];
                    loop {
                        let r = sock
                            .async_io(tokio::io::Interest::READABLE, || {
                                recv_timestamped(&sock, &mut buf)
                            })
                            .await;
                        match r {
                            // Only our stream's RTP (PT 0, 160-byte payload): the engine's
                            // RTCP reports to port+1 may land on a neighbouring receiver.
                            Ok((172, at)) if buf[0] == 0x80 && buf[1] & 0x7F == 0 => {
                                let seq = u16::from_be_bytes([buf[2], buf[3]]);
                                match st.first_seq {
                                    None => {
                                        st.first_seq = Some(seq);
                                        st.max_seq = seq;
                                    }
                                    Some(_) => {
                                        let d = seq.wrapping_sub(st.max_seq) as i16;
                                        if d > 0 {
                                            st.ext_max += d as i64;
                                            st.max_seq = seq;
                                        }
                                    }
                                }
                                st.count += 1;
                                if let Some(last) = st.last_at_ns {
                                    st.gaps_us.push((at.saturating_sub(last) / 1000) as u32);
                                }
                                st.last_at_ns = Some(at);
                                st.first_at_ns.get_or_insert(at);
                            }
                            Ok((1, _)) if buf[0] == b'!' => break,
                            Ok(_) => {}
                            Err(e) => panic!("receive: {e}"),
                        }
                    }
                    st
                }));
            }
            let mut all = Vec::new();
            for t in tasks {
                all.push(t.await.expect("receiver task"));
            }
            all
        })
    });

    writeln!(stdin, "go").expect("go");
    expect("PLAYING");
    let t0 = Instant::now();
    let cpu0 = cpu_ticks(pid);
    expect("DONE");
    let cpu1 = cpu_ticks(pid);
    let wall = t0.elapsed().as_secs_f64();
    let rss_end_kb = rss_kb(pid);
    writeln!(stdin, "go").expect("go");
    let sent_line = expect("SENT");
    let _ = child.wait();
    // Stop every receiver with a 1-byte datagram.
    let stopper = std::net::UdpSocket::bind("127.0.0.1:0").expect("stopper");
    for p in &ports {
        if let Ok(port) = p.parse::<u16>() {
            let _ = stopper.send_to(b"!", ("127.0.0.1", port));
        }
    }
    let streams = recv_thread.join().expect("receivers");

    let clk_tck = 100.0; // USER_HZ on Linux
    let cpu_pct = (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1) as f64 / clk_tck / wall * 100.0;
    let user_pct = (cpu1.0 - cpu0.0) as f64 / clk_tck / wall * 100.0;
    let mut expected = 0;
    let mut gaps_us = Vec::new();
    let (mut received, mut lost) = (0, 0);
    for s in streams {
        received += s.count;
        if let (Some(a), Some(b)) = (s.first_at_ns, s.last_at_ns) {
            expected += (b - a + 10_000_000) / 20_000_000 + 1;
        }
        if s.first_seq.is_some() {
            lost += (s.ext_max as u64 + 1).saturating_sub(s.count);
        }
        gaps_us.extend(s.gaps_us);
    }
    gaps_us.sort_unstable();
    RunResult {
        cpu_pct,
        user_pct,
        rss_base_kb,
        rss_end_kb,
        gaps_us,
        received,
        lost,
        sent_line,
        expected,
    }
}

/// Asks the kernel to stamp each datagram with its arrival time (SO_TIMESTAMPNS): on
/// loopback that is the moment the server sent it, free of the receiver's scheduling delays.
fn enable_kernel_timestamps(s: &std::net::UdpSocket) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: valid fd, option value points to a c_int of the given size.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_TIMESTAMPNS: {}", std::io::Error::last_os_error());
}

/// One datagram and its kernel arrival time in nanoseconds (CLOCK_REALTIME).
fn recv_timestamped(s: &tokio::net::UdpSocket, buf: &mut [u8]) -> std::io::Result<(usize, u64)> {
    use std::os::fd::AsRawFd;
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = [0u64; 16];
    // SAFETY: zeroed msghdr is valid; every pointer set below outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: fd is a valid UDP socket; msg is initialized above.
    let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut at = 0u64;
    // SAFETY: walking the control buffer the kernel filled, with the libc CMSG macros.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                let ts = std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::timespec);
                at = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok((n as usize, at))
}

/// CPU microseconds per bare `sendto` of a 172-byte datagram from N sockets to N other sockets
/// on 127.0.0.1 (nobody reads them; 50 rounds fit in the default receive buffers): the
/// kernel's own cost, which no user-space design can go below.
///
/// With `readers`, a tokio thread waits on every receiving socket, as the benchmark's
/// receivers do: on loopback the sender then also pays for waking them up.
fn kernel_floor(n: usize, readers: bool) -> f64 {
    let pairs: Vec<(std::net::UdpSocket, std::net::UdpSocket)> = (0..n)
        .map(|_| {
            let rx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
            let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
            (tx, rx)
        })
        .collect();
    let dests: Vec<SocketAddr> = pairs
        .iter()
        .map(|(_, rx)| rx.local_addr().expect("addr"))
        .collect();
    type Pairs = Vec<(std::net::UdpSocket, Option<std::net::UdpSocket>)>;
    let (pairs, reader): (Pairs, _) = if readers {
        let (txs, rxs): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
        let reader = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let mut tasks = Vec::new();
                for s in rxs {
                    s.set_nonblocking(true).expect("nonblocking");
                    tasks.push(tokio::spawn(async move {
                        let s = tokio::net::UdpSocket::from_std(s).expect("register");
                        let mut buf = [0u8; 256];
                        while let Ok((n, _)) = s.recv_from(&mut buf).await {
                            if n == 1 {
                                break;
                            }
                        }
                    }));
                }
                for t in tasks {
                    let _ = t.await;
                }
            })
        });
        std::thread::sleep(Duration::from_millis(300));
        (txs.into_iter().map(|t| (t, None)).collect(), Some(reader))
    } else {
        (pairs.into_iter().map(|(t, r)| (t, Some(r))).collect(), None)
    };
    let pkt = [0x80u8; 172];
    let rounds = 50;
    let t0 = thread_cpu_ns();
    for _ in 0..rounds {
        for ((tx, _), to) in pairs.iter().zip(&dests) {
            let _ = tx.send_to(&pkt, to);
        }
    }
    let per_packet = (thread_cpu_ns() - t0) as f64 / 1e3 / (rounds * n) as f64;
    if let Some(reader) = reader {
        for ((tx, _), to) in pairs.iter().zip(&dests) {
            let _ = tx.send_to(b"!", to);
        }
        let _ = reader.join();
    }
    per_packet
}

/// CPU time of the calling thread (not wall time: other processes' load does not count).
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// (user, system) CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields after the name: state is index 0, utime 11, stime 12.
    let utime: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
    let stime: u64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    (utime, stime)
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn print_run(run: usize, args: &Args, r: &RunResult) {
    let g = &r.gaps_us;
    println!(
        "run {run}: streams {} seconds {} | server CPU {:.1}% of one core ({:.1}% in user space) | RSS {} MB -> {} MB (growth {:.1} MB) | \
         gap ms min {:.2} median {:.2} p99 {:.2} max {:.2} | received {} (schedule: {}) lost {} | child: {}",
        args.streams,
        args.seconds,
        r.cpu_pct,
        r.user_pct,
        r.rss_base_kb / 1024,
        r.rss_end_kb / 1024,
        (r.rss_end_kb as f64 - r.rss_base_kb as f64) / 1024.0,
        pct(g, 0.0),
        pct(g, 0.5),
        pct(g, 0.99),
        pct(g, 1.0),
        r.received,
        r.expected,
        r.lost,
        r.sent_line,
    );
}

fn summary(results: &[RunResult]) {
    let stat = |name: &str, mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{name:<22} min {:>8.2}  median {:>8.2}  max {:>8.2}",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        );
    };
    println!("summary over {} runs:", results.len());
    stat(
        "server CPU % of core",
        results.iter().map(|r| r.cpu_pct).collect(),
    );
    stat(
        "RSS growth MB",
        results
            .iter()
            .map(|r| (r.rss_end_kb as f64 - r.rss_base_kb as f64) / 1024.0)
            .collect(),
    );
    stat(
        "gap min ms",
        results.iter().map(|r| pct(&r.gaps_us, 0.0)).collect(),
    );
    stat(
        "gap median ms",
        results.iter().map(|r| pct(&r.gaps_us, 0.5)).collect(),
    );
    stat(
        "gap p99 ms",
        results.iter().map(|r| pct(&r.gaps_us, 0.99)).collect(),
    );
    stat(
        "gap max ms",
        results.iter().map(|r| pct(&r.gaps_us, 1.0)).collect(),
    );
    stat(
        "lost packets",
        results.iter().map(|r| r.lost as f64).collect(),
    );
    stat(
        "sent % of schedule",
        results
            .iter()
            .map(|r| r.received as f64 * 100.0 / r.expected.max(1) as f64)
            .collect(),
    );
}
