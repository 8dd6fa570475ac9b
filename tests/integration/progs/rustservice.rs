// SPDX-License-Identifier: MIT
//! A Rust release service (built -O, no frame pointers): a configuration
//! read once at start (256 strings of 1,000 bytes, kept) and a session
//! leaked per request (a boxed 512-byte slice), every 50 ms for about 6 s.
//! The sessions are the suspect; the configuration, larger, is none.
//! Prints "done 120". run.py builds it.

use std::hint::black_box;
use std::{thread, time::Duration};

#[inline(never)]
fn load_config() -> Vec<String> {
    let mut v = Vec::with_capacity(256);
    for i in 0..=255u8 {
        v.push(black_box(((b'a' + i % 26) as char).to_string().repeat(1000)));
    }
    v
}

#[inline(never)]
fn open_session(i: usize) -> &'static mut [u8] {
    // never zero: vec! takes malloc, not calloc
    Box::leak(vec![(i as u8) | 1; 512].into_boxed_slice())
}

#[inline(never)]
fn handle(i: usize) -> usize {
    black_box(open_session(i)).len() / 512
}

#[inline(never)]
fn serve(n: usize) -> usize {
    let mut done = 0;
    for i in 0..n {
        done += handle(i);
        thread::sleep(Duration::from_millis(50));
    }
    done
}

fn main() {
    let config = black_box(load_config());
    println!("done {}", serve(black_box(120)));
    // kept to the end, as a service's configuration is
    std::mem::forget(config);
}
