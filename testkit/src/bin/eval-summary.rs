//! `make eval-summary`: the built-in summariser's ROUGE-1/2/L F1 against the human reference
//! summaries of DialogSum's dev split, next to quoting the first three lines of the dialogue
//! (lead-3) on the same dialogues. The data is read from the path given (it is not kept in the
//! repository): `eval-summary PATH/dialogsum.dev.jsonl [--show N]`. Exits non-zero when the
//! built-in summary's ROUGE-1 falls below 1.25 × lead-3's.

use std::path::PathBuf;
use std::process::ExitCode;

use shared::intelligence::summary::summarise;
use testkit::calls::{plain_text, read_dialogsum};
use testkit::rouge::{rouge, Score};

/// The aim: the built-in summary's ROUGE-1 F1 over lead-3's.
const AIM: f64 = 1.25;

#[derive(Default)]
struct Mean {
    sums: [f64; 3],
    n: usize,
}

impl Mean {
    fn add(&mut self, scores: [Score; 3]) {
        for (sum, s) in self.sums.iter_mut().zip(scores) {
            *sum += s.f1;
        }
        self.n += 1;
    }

    fn get(&self) -> [f64; 3] {
        self.sums.map(|s| s / self.n.max(1) as f64)
    }
}

/// The summary with its role names in DialogSum's convention, as the input was mapped (Person1
/// the agent, Person2 the customer): what lead-3 as written gets from its speaker tags.
fn as_dialogsum_names(summary: &str) -> String {
    summary
        .replace("the customer", "#Person2#")
        .replace("The customer", "#Person2#")
        .replace("the agent", "#Person1#")
        .replace("The agent", "#Person1#")
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
    let (mut built_in, mut lead_3, mut lead_3_untagged) =
        (Mean::default(), Mean::default(), Mean::default());
    let mut built_in_tagged = Mean::default();
    let mut words = 0usize;
    for (i, d) in dialogues.iter().enumerate() {
        let summary = summarise(&d.record())
            .map(|html| plain_text(&html))
            .unwrap_or_default();
        words += summary.split_whitespace().count();
        built_in.add(rouge(&summary, &d.summary));
        built_in_tagged.add(rouge(&as_dialogsum_names(&summary), &d.summary));
        let lead = d.lead_3();
        lead_3.add(rouge(&lead, &d.summary));
        let untagged: Vec<&str> = d.turns().into_iter().take(3).map(|(_, t)| t).collect();
        lead_3_untagged.add(rouge(&untagged.join(" "), &d.summary));
        if i < show {
            println!(
                "--- {}\nreference: {}\nbuilt-in:  {summary}\n",
                d.fname, d.summary
            );
        }
    }
    let row = |name: &str, m: &Mean| {
        let [r1, r2, rl] = m.get();
        println!("| {name:<28} | {r1:.4} | {r2:.4} | {rl:.4} |");
    };
    println!(
        "DialogSum dev, {} dialogues, F1 (mean over dialogues)\n",
        dialogues.len()
    );
    println!("| summariser                   | ROUGE-1 | ROUGE-2 | ROUGE-L |");
    println!("|------------------------------|--------|--------|--------|");
    row("built-in (roles as DialogSum)", &built_in_tagged);
    row("lead-3 (lines as written)", &lead_3);
    row("built-in (roles as said)", &built_in);
    row("lead-3 (text only)", &lead_3_untagged);
    let tagged = built_in_tagged.get()[0] / lead_3.get()[0];
    let untagged = built_in.get()[0] / lead_3_untagged.get()[0];
    println!(
        "\nROUGE-1 over lead-3's: {tagged:.3} with DialogSum's names, {untagged:.3} without speaker names (aim ≥ {AIM}); mean built-in length {:.1} words",
        words as f64 / dialogues.len() as f64
    );
    let ratio = tagged.min(untagged);
    if ratio >= AIM {
        ExitCode::SUCCESS
    } else {
        eprintln!("below the aim");
        ExitCode::FAILURE
    }
}
