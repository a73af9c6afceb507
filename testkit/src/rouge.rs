//! ROUGE (Lin, 2004) as the summary evaluation reports it: ROUGE-1 and ROUGE-2 (n-gram overlap)
//! and ROUGE-L (longest common subsequence), each as precision, recall and F1, on tokens that
//! are the lowercase alphanumeric runs of the text (the tokenisation of Google's
//! `rouge-score` without stemming).

use std::collections::HashMap;

/// Precision, recall and F1 of one candidate against one reference.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Score {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Score {
    fn of(overlap: usize, candidate: usize, reference: usize) -> Self {
        let precision = if candidate == 0 {
            0.0
        } else {
            overlap as f64 / candidate as f64
        };
        let recall = if reference == 0 {
            0.0
        } else {
            overlap as f64 / reference as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Self {
            precision,
            recall,
            f1,
        }
    }
}

pub fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// ROUGE-N: clipped n-gram overlap.
pub fn rouge_n(candidate: &[String], reference: &[String], n: usize) -> Score {
    fn grams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
        let mut out = HashMap::new();
        if tokens.len() >= n {
            for g in tokens.windows(n) {
                *out.entry(g).or_insert(0) += 1;
            }
        }
        out
    }
    let c = grams(candidate, n);
    let r = grams(reference, n);
    let overlap: usize = c
        .iter()
        .map(|(g, count)| (*count).min(r.get(g).copied().unwrap_or(0)))
        .sum();
    Score::of(
        overlap,
        candidate.len().saturating_sub(n - 1),
        reference.len().saturating_sub(n - 1),
    )
}

/// ROUGE-L: the longest common subsequence over the whole texts.
pub fn rouge_l(candidate: &[String], reference: &[String]) -> Score {
    let mut row = vec![0usize; reference.len() + 1];
    for c in candidate {
        let mut diagonal = 0;
        for (j, r) in reference.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if c == r {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    Score::of(row[reference.len()], candidate.len(), reference.len())
}

/// ROUGE-1, ROUGE-2 and ROUGE-L of `candidate` against `reference`.
pub fn rouge(candidate: &str, reference: &str) -> [Score; 3] {
    let (c, r) = (tokens(candidate), tokens(reference));
    [rouge_n(&c, &r, 1), rouge_n(&c, &r, 2), rouge_l(&c, &r)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn tokens_are_lowercase_alphanumeric_runs() {
        assert_eq!(
            tokens("#Person2# can't pay $1,200!"),
            ["person2", "can", "t", "pay", "1", "200"]
        );
    }

    #[test]
    fn the_worked_example() {
        // Lin (2004) style: 6 of 6 candidate unigrams in a 6-token reference... with a clip.
        let [r1, r2, rl] = rouge(
            "the cat was under the bed",
            "the cat was found under the bed",
        );
        close(r1.precision, 6.0 / 6.0);
        close(r1.recall, 6.0 / 7.0);
        close(r1.f1, 2.0 * (6.0 / 7.0) / (1.0 + 6.0 / 7.0));
        // Bigrams: the cat, cat was, under the, the bed of 5 / 6.
        close(r2.precision, 4.0 / 5.0);
        close(r2.recall, 4.0 / 6.0);
        close(rl.precision, 1.0);
        close(rl.recall, 6.0 / 7.0);
    }

    #[test]
    fn repeated_words_are_clipped_and_order_matters_only_for_l() {
        let [r1, _, rl] = rouge("the the the", "the cat");
        close(r1.precision, 1.0 / 3.0);
        close(r1.recall, 1.0 / 2.0);
        let [r1, r2, rl2] = rouge("bed the under", "under the bed");
        close(r1.f1, 1.0);
        close(r2.f1, 0.0);
        close(rl2.f1, 1.0 / 3.0);
        close(rl.recall, 0.5);
    }

    #[test]
    fn empty_texts_score_zero() {
        assert_eq!(rouge("", "a b")[0], Score::default());
        assert_eq!(rouge("a b", "")[2], Score::default());
    }
}
