//! The invoke-URL handler: finds the API (v1 or v2) an invoke URL belongs to and hands the
//! request to its data plane. (under construction)
