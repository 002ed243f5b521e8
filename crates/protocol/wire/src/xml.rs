//! XML writing and reading shared by the query and rest-xml codecs. (under construction)
