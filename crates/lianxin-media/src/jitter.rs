//! A small jitter buffer: puts received audio back in sequence order for the recorder and
//! for bridged calls, one 20 ms frame per pacer tick.
//!
//! It holds at most `capacity` frames keyed by RTP sequence number (wrap-around handled by
//! `rtp_rs::Seq`), starts playing out once `prefill` frames are there, drops packets that
//! arrive after their turn, and reports a gap as `Lost` so the caller can fill it with
//! silence and keep time. Sans-IO: no clock, the pacer's ticks drive [`JitterBuffer::pop`].

use std::collections::VecDeque;

use rtp_rs::Seq;

use crate::prompt::FRAME_SAMPLES;

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Stored for play-out.
    Stored,
    /// Its turn has passed (or it is a duplicate): dropped.
    Late,
    /// The buffer overflowed; the oldest frame was dropped to make room.
    Overflow,
}

/// What the next play-out slot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popped {
    /// Not playing yet (empty, or filling up after an underrun).
    Waiting,
    /// The frame with this sequence number never arrived.
    Lost,
    /// The next frame's payload.
    Frame(Vec<u8>),
}

/// Reorders received frames by sequence number.
#[derive(Debug)]
pub struct JitterBuffer {
    capacity: usize,
    prefill: usize,
    /// Slot `i` holds sequence `next + i`.
    slots: VecDeque<Option<Vec<u8>>>,
    next: Option<Seq>,
    playing: bool,
    late: u64,
}

impl JitterBuffer {
    /// A buffer of `capacity` frames that starts playing with `prefill` frames queued.
    pub fn new(capacity: usize, prefill: usize) -> JitterBuffer {
        let capacity = capacity.max(1);
        JitterBuffer {
            capacity,
            prefill: prefill.clamp(1, capacity),
            slots: VecDeque::with_capacity(capacity),
            next: None,
            playing: false,
            late: 0,
        }
    }

    /// Frames dropped because they came too late.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Frames queued (received, not yet played out).
    pub fn queued(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Adds a received packet.
    pub fn push(&mut self, seq: Seq, payload: &[u8]) -> Pushed {
        let next = *self.next.get_or_insert(seq);
        let mut offset = seq - next;
        if offset < 0 && !self.playing && self.slots.len() + (-offset) as usize <= self.capacity {
            // Reordered before play-out started: make room in front.
            for _ in 0..-offset {
                self.slots.push_front(None);
            }
            self.next = Some(seq);
            offset = 0;
        }
        if offset < 0 {
            self.late += 1;
            return Pushed::Late;
        }
        let mut result = Pushed::Stored;
        let mut offset = offset as usize;
        while offset >= self.capacity {
            // Too far ahead: give up the oldest slot.
            self.slots.pop_front();
            self.next = self.next.map(Seq::next);
            offset -= 1;
            result = Pushed::Overflow;
        }
        while self.slots.len() <= offset {
            self.slots.push_back(None);
        }
        match &mut self.slots[offset] {
            Some(_) => {
                self.late += 1;
                Pushed::Late
            }
            slot => {
                *slot = Some(payload.to_vec());
                result
            }
        }
    }

    /// Takes the next play-out slot (call once per 20 ms tick).
    pub fn pop(&mut self) -> Popped {
        if !self.playing {
            if self.queued() < self.prefill {
                return Popped::Waiting;
            }
            self.playing = true;
            // Start with the first frame actually there.
            while let Some(None) = self.slots.front() {
                self.slots.pop_front();
                self.next = self.next.map(Seq::next);
            }
        }
        if self.slots.is_empty() {
            // Underrun: wait for `prefill` frames again.
            self.playing = false;
            return Popped::Waiting;
        }
        self.next = self.next.map(Seq::next);
        match self.slots.pop_front() {
            Some(Some(f)) => Popped::Frame(f),
            _ => Popped::Lost,
        }
    }

    /// Takes everything still queued, in order (at the end of a recording).
    pub fn drain(&mut self) -> Vec<Option<Vec<u8>>> {
        let mut out: Vec<_> = self.slots.drain(..).collect();
        while let Some(None) = out.last() {
            out.pop();
        }
        while let Some(None) = out.first() {
            out.remove(0);
        }
        self.next = None;
        self.playing = false;
        out
    }
}

/// One frame of silence in linear PCM.
pub const SILENT_FRAME: [i16; FRAME_SAMPLES] = [0; FRAME_SAMPLES];

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(jb: &mut JitterBuffer, n: usize) -> Vec<Popped> {
        (0..n).map(|_| jb.pop()).collect()
    }

    #[test]
    fn reorders_by_sequence() {
        let mut jb = JitterBuffer::new(8, 2);
        for seq in [11u16, 10, 13, 12] {
            assert_eq!(jb.push(Seq::from(seq), &[seq as u8]), Pushed::Stored);
        }
        assert_eq!(
            frames(&mut jb, 5),
            vec![
                Popped::Frame(vec![10]),
                Popped::Frame(vec![11]),
                Popped::Frame(vec![12]),
                Popped::Frame(vec![13]),
                Popped::Waiting
            ]
        );
    }

    #[test]
    fn reorders_across_sequence_wrap() {
        let mut jb = JitterBuffer::new(8, 3);
        for seq in [65534u16, 0, 65535, 1] {
            jb.push(Seq::from(seq), &seq.to_be_bytes());
        }
        let got: Vec<_> = frames(&mut jb, 4)
            .into_iter()
            .map(|p| match p {
                Popped::Frame(f) => u16::from_be_bytes([f[0], f[1]]),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, vec![65534, 65535, 0, 1]);
    }

    #[test]
    fn drops_late_and_duplicate_packets_and_reports_gaps() {
        let mut jb = JitterBuffer::new(8, 2);
        jb.push(Seq::from(100), &[0]);
        jb.push(Seq::from(102), &[2]);
        assert_eq!(jb.pop(), Popped::Frame(vec![0]));
        // 101 is missing at its turn.
        assert_eq!(jb.pop(), Popped::Lost);
        // ... and arrives too late.
        assert_eq!(jb.push(Seq::from(101), &[1]), Pushed::Late);
        assert_eq!(jb.push(Seq::from(102), &[2]), Pushed::Late);
        assert_eq!(jb.late(), 2);
        assert_eq!(jb.pop(), Popped::Frame(vec![2]));
    }

    #[test]
    fn overflow_drops_oldest() {
        let mut jb = JitterBuffer::new(4, 2);
        for seq in 0..4u16 {
            jb.push(Seq::from(seq), &[seq as u8]);
        }
        assert_eq!(jb.push(Seq::from(4), &[4]), Pushed::Overflow);
        assert_eq!(jb.pop(), Popped::Frame(vec![1]));
        let rest = jb.drain();
        assert_eq!(rest, vec![Some(vec![2]), Some(vec![3]), Some(vec![4])]);
    }
}
