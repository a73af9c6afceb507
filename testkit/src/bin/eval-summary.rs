//! `make eval-summary`: the built-in summariser's ROUGE-1/2/L F1 against the human reference
//! summaries of DialogSum's dev split, next to quoting the first three lines of the dialogue
//! (lead-3) on the same dialogues. The data is read from the path given (it is not kept in the
//! repository): `eval-summary PATH/dialogsum.dev.jsonl [--show N]` (the test split's
//! `summary1` is read as the reference too). What is scored is the summary's sentences without
//! the section headings (the headings are the format, the same on every call), the participants
//! named as DialogSum names them (`#Person1#` the agent, `#Person2#` the customer), against
//! lead-3 as written (its lines keep their `#PersonN#:` tags). Exits non-zero when the built-in
//! summary's ROUGE-1 falls below 1.25 × lead-3's.

use std::path::PathBuf;
use std::process::ExitCode;

use shared::intelligence::summary::{summary, Participants};
use testkit::calls::read_dialogsum;
use testkit::rouge::{rouge, Score};

/// The aim: the built-in summary's ROUGE-1 F1 over lead-3's.
const AIM: f64 = 1.25;

#[derive(Default)]
struct Mean {
    sums: [f64; 3],
    /// ROUGE-1 precision and recall.
    r1: [f64; 2],
    n: usize,
}

impl Mean {
    fn add(&mut self, scores: [Score; 3]) {
        self.r1[0] += scores[0].precision;
        self.r1[1] += scores[0].recall;
        for (sum, s) in self.sums.iter_mut().zip(scores) {
            *sum += s.f1;
        }
        self.n += 1;
    }

    fn get(&self) -> [f64; 3] {
        self.sums.map(|s| s / self.n.max(1) as f64)
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: eval-summary PATH/dialogsum.dev.jsonl [--show N]");
        return ExitCode::from(2);
    };
    let show: usize = match (args.next().as_deref(), args.next()) {
        (Some("--show"), Some(n)) => n.parse().unwrap_or(0),
        _ => 0,
    };
    let dialogues = match read_dialogsum(&path) {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => {
            eprintln!("{}: no dialogues", path.display());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let tags = Participants {
        customer: Some("#Person2#".into()),
        agent: Some("#Person1#".into()),
    };
    let [mut built_in, mut lead_3, mut built_in_as_said, mut lead_3_text] =
        std::array::from_fn(|_| Mean::default());
    let mut words = 0usize;
    for (i, d) in dialogues.iter().enumerate() {
        let record = d.record();
        let said = |names: &Participants| {
            summary(&record, names)
                .map(|s| s.plain())
                .unwrap_or_default()
        };
        let tagged = said(&tags);
        words += tagged.split_whitespace().count();
        built_in.add(rouge(&tagged, &d.summary));
        lead_3.add(rouge(&d.lead_3(), &d.summary));
        built_in_as_said.add(rouge(&said(&Participants::default()), &d.summary));
        let untagged: Vec<&str> = d.turns().into_iter().take(3).map(|(_, t)| t).collect();
        lead_3_text.add(rouge(&untagged.join(" "), &d.summary));
        if i < show {
            println!(
                "--- {}\nreference: {}\nbuilt-in:  {tagged}\n",
                d.fname, d.summary
            );
        }
    }
    let row = |name: &str, m: &Mean| {
        let [r1, r2, rl] = m.get();
        let [p, r] = m.r1.map(|v| v / m.n.max(1) as f64);
        println!("| {name:<34} | {r1:.4} | {r2:.4} | {rl:.4} | {p:.2} / {r:.2} |");
    };
    println!(
        "DialogSum {}, {} dialogues, F1 (mean over dialogues)\n",
        path.display(),
        dialogues.len()
    );
    println!("| summariser                         | ROUGE-1 | ROUGE-2 | ROUGE-L | R-1 P / R   |");
    println!("|------------------------------------|---------|---------|---------|-------------|");
    row("built-in (#PersonN# names)", &built_in);
    row("lead-3 (lines as written)", &lead_3);
    row("built-in (names as said: roles)", &built_in_as_said);
    row("lead-3 (text only)", &lead_3_text);
    let ratio = built_in.get()[0] / lead_3.get()[0];
    let untagged = built_in_as_said.get()[0] / lead_3_text.get()[0];
    println!(
        "\nROUGE-1 over lead-3's: {ratio:.3} (aim ≥ {AIM}); without DialogSum's names {untagged:.3}; mean built-in length {:.1} words",
        words as f64 / dialogues.len() as f64
    );
    if ratio >= AIM {
        ExitCode::SUCCESS
    } else {
        eprintln!("below the aim");
        ExitCode::FAILURE
    }
}
