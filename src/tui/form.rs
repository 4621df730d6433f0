//! Forms to add and edit backends (being written).
