//! JSON as bots write it (comments and trailing commas allowed, as freqtrade's own reader does), parsed
//! with nesting bounded, and errors that give the place but never the text found there.

use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// Parses `text` to a JSON object. Errors name the line and column only.
pub(super) fn object(text: &str) -> Result<Map<String, Value>> {
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
    };
    let value: Value =
        jsonc_parser::parse_to_serde_value(text.trim_start_matches('\u{feff}'), &options).map_err(
            |e| {
                let message = e.to_string();
                let place = message
                    .rfind(" on line ")
                    .map(|i| message[i + 4..].trim_end_matches('.').to_string())
                    .unwrap_or_else(|| "somewhere".into());
                if message.contains("nesting depth") {
                    Error::input(format!("it is nested too deeply ({place})"))
                } else {
                    Error::input(format!(
                        "it is not valid JSON ({place}): fix the file and import it again"
                    ))
                }
            },
        )?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Err(Error::input("it is empty")),
        _ => Err(Error::input(
            "it is JSON, but not an object ({ … }) at the top",
        )),
    }
}

/// The text of a JSON value that holds a credential: strings as they are, numbers as written (a uid is
/// sometimes a number); anything else is a type error naming `place`.
pub(super) fn credential_text(value: &Value, place: &str) -> Result<Option<String>> {
    match value {
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Null => Ok(None),
        _ => Err(Error::input(format!(
            "{place} is not text: a key's fields must be strings"
        ))),
    }
}

/// A plain (non-secret) text field, if it is a string.
pub(super) fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}
