//! `local`: a directory on this machine. Capacity from statvfs; files from a bounded walk.

use super::schema::{Default, FieldSpec, FieldType};

pub const DESCRIPTION: &str = "a directory on this machine";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("path", FieldType::AbsPath, "the directory to watch").required(),
    FieldSpec::new(
        "max_files",
        FieldType::UInt {
            min: 1,
            max: 100_000_000,
        },
        "stop counting files after this many (the count is then reported as partial)",
    )
    .default(Default::UInt(100_000)),
];
