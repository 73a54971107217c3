//! One task per leg that tags its events and merges them onto the owner's channel.
//!
//! Every leg has its own bounded event receivers (media now, SIP when the UA routes a
//! call's events to whoever placed it). A driver with hundreds of legs cannot `select!`
//! over all of them, so each receiver gets a small forwarding task that prefixes every
//! event with the leg's key and sends it on to the one channel the driver reads. When the
//! leg's sender side is dropped (the leg closed), the task ends; when the driver is gone,
//! too.

use tokio::sync::mpsc;

/// Forwards every event of `events` to `to` as `(key, event)` until either side closes.
pub fn forward<K, E>(key: K, mut events: mpsc::Receiver<E>, to: mpsc::Sender<(K, E)>)
where
    K: Clone + Send + 'static,
    E: Send + 'static,
{
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if to.send((key.clone(), ev)).await.is_err() {
                break;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::forward;
    use tokio::sync::mpsc;

    #[tokio::test]
    async fn tags_events_and_stops_with_the_leg() {
        let (to, mut merged) = mpsc::channel(4);
        let (a_tx, a_rx) = mpsc::channel(4);
        let (b_tx, b_rx) = mpsc::channel(4);
        forward(1u64, a_rx, to.clone());
        forward(2u64, b_rx, to);
        a_tx.send('a').await.unwrap();
        b_tx.send('b').await.unwrap();
        let mut got = vec![merged.recv().await.unwrap(), merged.recv().await.unwrap()];
        got.sort();
        assert_eq!(got, vec![(1, 'a'), (2, 'b')]);
        drop((a_tx, b_tx));
        assert_eq!(merged.recv().await, None);
    }
}
