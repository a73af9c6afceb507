//! A reader of CloudWatch embedded metric format (EMF) documents as the published specification
//! describes them (CloudWatch_Embedded_Metric_Format_Specification): what a function printed is
//! checked here as CloudWatch Logs would extract it, independently of the crate that wrote it.

use std::collections::BTreeMap;

use serde_json::Value;

/// The units CloudWatch accepts (MetricDatum's `Unit`).
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// One metric value as extracted: its namespace, name, unit, dimensions and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub namespace: String,
    pub name: String,
    pub unit: String,
    pub dimensions: BTreeMap<String, String>,
    pub values: Vec<f64>,
}

/// Every metric of the EMF documents among `output`'s lines (lines that are not JSON objects
/// with `_aws` are logs, and skipped); `Err` names the first document that breaks the format.
pub fn read(output: &str) -> Result<Vec<Datum>, String> {
    let mut data = Vec::new();
    for line in output.lines() {
        let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(line.trim()) else {
            continue;
        };
        if !doc.contains_key("_aws") {
            continue;
        }
        data.extend(document(&Value::Object(doc)).map_err(|e| format!("{e}: {line}"))?);
    }
    Ok(data)
}

fn document(doc: &Value) -> Result<Vec<Datum>, String> {
    let aws = doc["_aws"].as_object().ok_or("_aws is not an object")?;
    aws.get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or("_aws.Timestamp is not a number of milliseconds")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics is not an array")?;
    let mut data = Vec::new();
    for directive in directives {
        let namespace = directive["Namespace"]
            .as_str()
            .filter(|n| !n.is_empty() && n.len() <= 256)
            .ok_or("Namespace is not a string of 1 to 256 characters")?;
        let sets = directive["Dimensions"]
            .as_array()
            .ok_or("Dimensions is not an array")?;
        let metrics = directive["Metrics"]
            .as_array()
            .filter(|m| m.len() <= 100)
            .ok_or("Metrics is not an array of at most 100")?;
        for set in sets {
            let names = set.as_array().ok_or("a dimension set is not an array")?;
            if names.len() > 30 {
                return Err("a dimension set has more than 30 dimensions".into());
            }
            let mut dimensions = BTreeMap::new();
            for name in names {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                let value = doc[name]
                    .as_str()
                    .ok_or_else(|| format!("dimension {name} has no string value"))?;
                if value.is_empty() || value.len() > 1024 {
                    return Err(format!("dimension {name}'s value is empty or too long"));
                }
                dimensions.insert(name.to_owned(), value.to_owned());
            }
            for metric in metrics {
                let name = metric["Name"]
                    .as_str()
                    .filter(|n| !n.is_empty() && n.len() <= 1024)
                    .ok_or("a metric has no Name")?;
                let unit = metric
                    .get("Unit")
                    .map(|u| {
                        u.as_str()
                            .filter(|u| UNITS.contains(u))
                            .ok_or_else(|| format!("{name}: Unit {u} is not a CloudWatch unit"))
                    })
                    .transpose()?
                    .unwrap_or("None");
                let values = match &doc[name] {
                    Value::Number(n) => vec![n.as_f64().ok_or("not a number")?],
                    Value::Array(values) if !values.is_empty() && values.len() <= 100 => values
                        .iter()
                        .map(|v| v.as_f64().ok_or_else(|| format!("{name}: not a number")))
                        .collect::<Result<_, _>>()?,
                    _ => return Err(format!("metric {name} has no value")),
                };
                data.push(Datum {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    unit: unit.to_owned(),
                    dimensions: dimensions.clone(),
                    values,
                });
            }
        }
    }
    Ok(data)
}

/// The sum of the values of `name` whose dimensions include every one of `with`.
pub fn total(data: &[Datum], name: &str, with: &[(&str, &str)]) -> f64 {
    data.iter()
        .filter(|d| d.name == name)
        .filter(|d| {
            with.iter()
                .all(|(k, v)| d.dimensions.get(*k).map(String::as_str) == Some(*v))
        })
        .flat_map(|d| d.values.iter())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_specifications_example_and_refuses_broken_documents() {
        let good = r#"{"_aws":{"Timestamp":1574109732004,"CloudWatchMetrics":[{"Namespace":"lambda-function-metrics","Dimensions":[["functionVersion"]],"Metrics":[{"Name":"time","Unit":"Milliseconds"}]}]},"functionVersion":"$LATEST","time":100,"requestId":"989ffbf8"}"#;
        let data = read(&format!("a log line\n{good}\n")).unwrap();
        assert_eq!(data.len(), 1);
        assert_eq!(data[0].unit, "Milliseconds");
        assert_eq!(data[0].values, vec![100.0]);
        for broken in [
            good.replace(r#""time":100,"#, ""),
            good.replace("Milliseconds", "Millis"),
            good.replace(r#""functionVersion":"$LATEST","#, ""),
            good.replace("1574109732004", "\"now\""),
        ] {
            assert!(read(&broken).is_err(), "{broken}");
        }
    }
}
