//! Browser profiles: cookie stores and saved logins.

use std::path::Path;

use super::{Ctx, What, instead};
use crate::fsutil::list_dir;
use crate::{Category, Severity};

/// (browser, profile root under HOME) for Chromium-family browsers.
const CHROMIUM: &[(&str, &str)] = &[
    ("Chrome", ".config/google-chrome"),
    ("Chromium", ".config/chromium"),
    ("Chromium (snap)", "snap/chromium/common/chromium"),
    ("Brave", ".config/BraveSoftware/Brave-Browser"),
    ("Edge", ".config/microsoft-edge"),
    ("Vivaldi", ".config/vivaldi"),
    ("Chrome", "Library/Application Support/Google/Chrome"),
    ("Chromium", "Library/Application Support/Chromium"),
    ("Brave", "Library/Application Support/BraveSoftware/Brave-Browser"),
    ("Edge", "Library/Application Support/Microsoft Edge"),
];

const FIREFOX: &[&str] = &[
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    ".var/app/org.mozilla.firefox/.mozilla/firefox",
    "Library/Application Support/Firefox/Profiles",
];

const EXPLAIN: &str = "A browser profile: its cookie store keeps you logged in to your email, cloud consoles and \
    code hosts, and its saved passwords are readable by programs running as you (no primary password, or the \
    OS keyring unlocked). An agent that copies it is you on every one of those sites.";

pub(super) fn run(ctx: &mut Ctx<'_>) {
    for (browser, root) in CHROMIUM {
        let root = ctx.opts.home.join(root);
        for profile in list_dir(&root, 200) {
            let store = ["Network/Cookies", "Cookies", "Login Data"].iter().map(|f| profile.join(f)).find(|p| p.is_file());
            if let Some(store) = store {
                report(ctx, browser, &store);
            }
        }
    }
    for root in FIREFOX {
        let root = ctx.opts.home.join(root);
        for profile in list_dir(&root, 200) {
            let store = ["cookies.sqlite", "logins.json", "key4.db"].iter().map(|f| profile.join(f)).find(|p| p.is_file());
            if let Some(store) = store {
                report(ctx, "Firefox", &store);
            }
        }
    }
}

fn report(ctx: &mut Ctx<'_>, browser: &str, store: &Path) {
    let what = What {
        category: Category::Browser,
        kind: format!("{browser} profile (cookies, saved logins)"),
        severity: Severity::High,
        explanation: EXPLAIN,
        mitigation: instead::BROWSER,
    };
    // The store, not the profile folder: its age says when you last used the browser.
    ctx.file("browser", store, None, what, None);
}
