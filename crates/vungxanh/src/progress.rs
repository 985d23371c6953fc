//! Progress of the demo's steps: a bar on the terminal (stderr) while a step runs, then its
//! line with the time taken on stdout (kept when the output is not a terminal).

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// One step of a long command.
pub struct Step {
    bar: ProgressBar,
    started: Instant,
}

impl Step {
    /// A step of `len` units of work (0: a spinner).
    pub fn new(what: &str, len: u64) -> Step {
        let bar = if len == 0 {
            ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("  {spinner} {msg} {elapsed}").expect("template"),
            )
        } else {
            ProgressBar::new(len).with_style(
                ProgressStyle::with_template("  {msg} [{bar:30}] {pos}/{len} {elapsed}")
                    .expect("template")
                    .progress_chars("=> "),
            )
        };
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Step {
            bar,
            started: Instant::now(),
        }
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Ends the step with its line: `what (seconds)`.
    pub fn done(self, what: &str) {
        self.bar.finish_and_clear();
        println!("  {what} ({:.2} s)", self.started.elapsed().as_secs_f64());
    }
}
