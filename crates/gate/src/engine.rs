//! Judging shell scripts: wrappers are peeled off, nested code (`bash -c`,
//! heredocs fed to shells, `eval`, `find -exec`, `xargs`) is judged
//! recursively, and each resulting command is checked against the rules.

use std::path::{Path, PathBuf};

use crate::paths::{self, Resolved};
use crate::rules::{has_flag, Access, RuleSet, Targets};
use crate::shell::{self, Item, Redirect, RedirectKind, SimpleCommand, Stdin, Word};
use crate::{CommandReport, Context, Finding, Verdict};

/// Nesting limit for `bash -c "bash -c …"`; deeper is judged `ask`.
const MAX_DEPTH: usize = 8;

const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "rbash", "yash", "tcsh", "csh"];
const INTERPRETERS: &[&str] =
    &["python", "python2", "python3", "node", "nodejs", "perl", "ruby", "php", "lua", "deno", "bun", "tclsh", "Rscript"];

/// Environment variables that make the next program load or run other code.
const INJECTING_VARS: &[&str] = &[
    "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "DYLD_LIBRARY_PATH", "BASH_ENV", "ENV",
    "PROMPT_COMMAND", "GIT_SSH_COMMAND", "GIT_SSH", "GIT_EXTERNAL_DIFF", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
    "GIT_ASKPASS", "SSH_ASKPASS", "PYTHONSTARTUP", "NODE_OPTIONS", "PERL5OPT", "RUBYOPT",
];

/// Options that take a separate value, per multi-command tool, so that the
/// subcommand is found in `git -C dir push` or `kubectl -n prod delete`.
fn value_options(tool: &str) -> &'static [&'static str] {
    match tool {
        "git" => &["-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--exec-path"],
        "kubectl" | "oc" => &["-n", "--namespace", "--context", "--cluster", "--kubeconfig", "-s", "--server", "--user", "--token", "-l", "--selector"],
        "helm" => &["-n", "--namespace", "--kube-context", "--kubeconfig"],
        "docker" | "podman" => &["-H", "--host", "-c", "--context", "--config", "-l", "--log-level"],
        "aws" => &["--profile", "--region", "--output", "--endpoint-url", "--query", "--color"],
        "gcloud" | "gsutil" => &["--project", "--account", "--configuration", "--format", "--verbosity", "-o"],
        "az" => &["--subscription", "-o", "--output", "--query"],
        "terraform" | "tofu" | "terragrunt" => &[],
        "cargo" => &["-Z", "--config", "-C"],
        "npm" | "pnpm" | "yarn" => &["-C", "--prefix", "--dir", "-w", "--workspace", "--filter"],
        _ => &[],
    }
}

/// Positional words (options and their values skipped), honouring `--`.
fn positionals<'a>(tool: &str, args: &'a [Word]) -> Vec<&'a Word> {
    let vopts = value_options(tool);
    let mut out = Vec::new();
    let mut it = args.iter();
    let mut after_dashdash = false;
    while let Some(w) = it.next() {
        if after_dashdash || !w.known {
            out.push(w);
            continue;
        }
        let t = w.text.as_str();
        if t == "--" {
            after_dashdash = true;
        } else if t.starts_with('-') && t.len() > 1 {
            if vopts.contains(&t) {
                it.next();
            }
        } else {
            out.push(w);
        }
    }
    out
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

pub struct Judge<'a> {
    pub rules: &'a RuleSet,
    pub ctx: &'a Context,
    pub reports: Vec<CommandReport>,
}

impl<'a> Judge<'a> {
    pub fn new(rules: &'a RuleSet, ctx: &'a Context) -> Self {
        Self { rules, ctx, reports: Vec::new() }
    }

    /// Judges a whole script; reports one entry per simple command.
    pub fn script(&mut self, src: &str, cwd: Option<PathBuf>, depth: usize) {
        let parsed = shell::parse(src);
        let mut cwd = cwd;
        if parsed.unparseable {
            self.reports.push(CommandReport {
                command: src.trim().to_string(),
                verdict: Verdict::Ask,
                rule_id: "core.unparseable".into(),
                reason: "the command could not be parsed as bash, so it cannot be judged".into(),
            });
        }
        for item in parsed.items {
            match item {
                Item::Command(c) => self.simple(&c, &mut cwd, depth),
                Item::Redirect(r) => {
                    let mut findings = Vec::new();
                    self.redirect(&r, cwd.as_deref(), &mut findings);
                    self.report(format!("redirect {}", r.target.text), findings);
                }
            }
        }
    }

    fn report(&mut self, command: String, findings: Vec<Finding>) {
        let (verdict, rule_id, reason) = match crate::strongest(&findings) {
            Some(f) => (f.verdict, f.rule_id.clone(), f.reason.clone()),
            None => (Verdict::Allow, "core.default-allow".to_string(), "no rule matched this command".to_string()),
        };
        self.reports.push(CommandReport { command, verdict, rule_id, reason });
    }

    fn simple(&mut self, c: &SimpleCommand, cwd: &mut Option<PathBuf>, depth: usize) {
        let mut findings = Vec::new();
        for name in &c.assignments {
            if INJECTING_VARS.contains(&name.as_str()) {
                Self::ask(&mut findings, "core.env-injection", format!("setting {name} makes programs load or run other code"));
            }
        }
        for r in &c.redirects {
            self.redirect(r, cwd.as_deref(), &mut findings);
        }
        self.exec(&c.words, &c.stdin, cwd, depth, &mut findings);
        self.report(c.source.clone(), findings);
    }

    fn redirect(&self, r: &Redirect, cwd: Option<&Path>, out: &mut Vec<Finding>) {
        let access = match r.kind {
            RedirectKind::Read => Access::Read,
            RedirectKind::Write => Access::Write,
        };
        let resolved = self.resolve_word(&r.target, cwd);
        self.check_path(access, &resolved, &r.target.text, out);
    }

    fn resolve_word(&self, w: &Word, cwd: Option<&Path>) -> Resolved {
        if !w.known {
            return Resolved::Unknown;
        }
        paths::resolve(&w.text, w.glob, cwd, self.ctx)
    }

    /// Checks one file access against the path rules.
    pub fn check_path(&self, access: Access, p: &Resolved, shown: &str, out: &mut Vec<Finding>) {
        let Resolved::Known(path) = p else {
            for rule in &self.rules.paths {
                if rule.outside_worktree && rule.access == Access::Write && access == Access::Write {
                    out.push(Finding {
                        verdict: rule.verdict.min(Verdict::Ask),
                        rule_id: rule.id.clone(),
                        reason: format!("{} (the target {shown:?} is only known at run time)", rule.reason),
                    });
                }
            }
            return;
        };
        let abs = path.to_string_lossy();
        let tilde = paths::tilde_form(path, self.ctx);
        let mut cands: Vec<&str> = vec![abs.as_ref()];
        cands.extend(tilde.as_deref());
        let hits = self.rules.path_hits(&cands);
        // For a write, write rules first: they name the more specific reason.
        let rules = self.rules.paths.iter().enumerate();
        let ordered = rules.clone().filter(|(_, r)| r.access == access).chain(
            rules.filter(|(_, r)| r.access != access && access == Access::Write),
        );
        for (ri, rule) in ordered {
            if hits.contains(&(ri, true)) {
                continue;
            }
            let hit = (rule.globs.is_none() || hits.contains(&(ri, false)))
                && (!rule.outside_worktree || !self.in_writable_zone(path));
            if hit {
                out.push(Finding {
                    verdict: rule.verdict,
                    rule_id: rule.id.clone(),
                    reason: format!("{}: {}", rule.reason, path.display()),
                });
            }
        }
    }

    fn in_writable_zone(&self, p: &Path) -> bool {
        self.ctx.worktree.as_deref().is_some_and(|w| paths::strictly_inside(p, w))
            || self.ctx.temp_dirs.iter().any(|t| paths::strictly_inside(p, t))
    }

    fn ask(out: &mut Vec<Finding>, rule_id: &str, reason: impl Into<String>) {
        out.push(Finding { verdict: Verdict::Ask, rule_id: rule_id.into(), reason: reason.into() });
    }

    /// Judges one command given as words, peeling wrappers recursively.
    fn exec(&mut self, words: &[Word], stdin: &Stdin, cwd: &mut Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        let Some(first) = words.first() else { return };
        if first.known && first.text.is_empty() && words.len() == 1 {
            return; // assignments only
        }
        if depth > MAX_DEPTH {
            Self::ask(out, "core.too-deep", "commands nested this deeply are not judged");
            return;
        }
        let Some(argv0) = first.value() else {
            Self::ask(out, "core.dynamic-command", format!("the command name {:?} is only known at run time", first.text));
            return;
        };
        if first.glob {
            Self::ask(out, "core.dynamic-command", format!("the command name {argv0:?} is a glob pattern"));
            return;
        }
        let name = basename(argv0);
        let args = &words[1..];
        // Every level is judged by the rules, wrappers included (`sudo`, `find -delete`).
        self.judge(name, args, stdin, cwd.as_deref(), out);
        let inner_cwd = cwd.clone();
        match name {
            "cd" | "pushd" => {
                let pos = positionals(name, args);
                *cwd = match pos.first() {
                    None => self.ctx.home.clone(),
                    Some(w) if w.known && w.text != "-" => match self.resolve_word(w, cwd.as_deref()) {
                        Resolved::Known(p) => Some(p),
                        Resolved::Unknown => None,
                    },
                    Some(_) => None,
                };
            }
            "popd" => *cwd = None,
            "eval" => {
                Self::ask(out, "core.eval", "eval runs a string as code");
                match join_known(args) {
                    Some(code) => self.nested(&code, inner_cwd, depth, out),
                    None => Self::ask(out, "core.dynamic-code", "eval of a string only known at run time"),
                }
            }
            "trap" => Self::ask(out, "core.dynamic-code", "trap runs code later, on a signal"),
            "source" | "." => match args.first() {
                Some(w) if w.known => {}
                _ => Self::ask(out, "core.dynamic-code", "sources a file only known at run time"),
            },
            "alias" => {
                for a in args.iter().filter_map(Word::value) {
                    if let Some((_, body)) = a.split_once('=') {
                        self.nested(body, inner_cwd.clone(), depth, out);
                    }
                }
            }
            "command" => {
                if has_flag(&texts(args), "-v") || has_flag(&texts(args), "-V") {
                    return; // lookup only
                }
                let rest = skip_options(args, &[]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "builtin" | "nohup" | "setsid" | "unbuffer" => {
                let rest = skip_options(args, &[]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "time" | "caffeinate" => {
                let rest = skip_options(args, &["-f", "-o", "--format", "--output", "-t", "-w"]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "exec" => {
                let rest = skip_options(args, &["-a"]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "nice" => {
                let rest = skip_options(args, &["-n", "--adjustment"]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "ionice" | "stdbuf" | "strace" | "ltrace" => {
                let rest = skip_options(args, &["-c", "-n", "-p", "-i", "-o", "-e", "-s", "-u", "-E"]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "timeout" | "chrt" | "taskset" | "chroot" => {
                let rest = skip_options(args, &["-s", "-k", "--signal", "--kill-after", "-c", "--cpu-list"]);
                let rest = rest.get(1..).unwrap_or(&[]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "flock" => {
                let t = texts(args);
                if let Some(code) = option_value(args, &["-c", "--command"]) {
                    self.shell_code(code, inner_cwd, depth, out);
                } else if !has_flag(&t, "-c") {
                    let rest = skip_options(args, &["-w", "--timeout", "-E", "--conflict-exit-code"]);
                    self.exec(rest.get(1..).unwrap_or(&[]), stdin, &mut inner_cwd.clone(), depth + 1, out);
                }
            }
            "sudo" | "doas" | "run0" | "pkexec" => {
                let vopts = ["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group", "--host", "--prompt", "--chdir", "--role", "--type", "--other-user", "--command-timeout"];
                let rest = skip_options(args, &vopts);
                let t = texts(&args[..args.len() - rest.len()]);
                let login_shell = has_flag(&t, "-s") || has_flag(&t, "-i") || has_flag(&t, "--shell") || has_flag(&t, "--login");
                if login_shell {
                    match join_known(rest) {
                        Some(code) if !rest.is_empty() => self.nested(&code, inner_cwd, depth, out),
                        Some(_) => Self::ask(out, "core.dynamic-code", "opens a root shell"),
                        None => Self::ask(out, "core.dynamic-code", "runs a root shell command only known at run time"),
                    }
                } else {
                    self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
                }
            }
            "su" => match option_value(args, &["-c", "--command"]) {
                Some(code) => self.shell_code(code, inner_cwd, depth, out),
                None => Self::ask(out, "core.dynamic-code", "opens a shell as another user"),
            },
            "watch" => {
                let rest = skip_options(args, &["-n", "--interval", "-d"]);
                match join_known(rest) {
                    Some(code) => self.nested(&code, inner_cwd, depth, out),
                    None => Self::ask(out, "core.dynamic-code", "watch runs a command only known at run time"),
                }
            }
            "busybox" | "toybox" => {
                let rest = skip_options(args, &[]);
                self.exec(rest, stdin, &mut inner_cwd.clone(), depth + 1, out);
            }
            "env" => self.env(args, stdin, inner_cwd, depth, out),
            "xargs" => self.xargs(args, inner_cwd, depth, out),
            "parallel" => self.parallel(args, inner_cwd, depth, out),
            "find" => self.find(args, inner_cwd, depth, out),
            _ if SHELLS.contains(&name) => self.shell(name, args, stdin, inner_cwd, depth, out),
            _ if INTERPRETERS.contains(&name) || name.starts_with("python3.") => {
                let reads_stdin = args.iter().all(|a| a.value() == Some("-"));
                if reads_stdin && *stdin != Stdin::Inherited {
                    Self::ask(out, "core.dynamic-code", format!("feeds code to {name} on standard input"));
                }
            }
            _ => {}
        }
    }

    fn nested(&mut self, code: &str, cwd: Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        if depth + 1 > MAX_DEPTH {
            Self::ask(out, "core.too-deep", "commands nested this deeply are not judged");
            return;
        }
        let before = self.reports.len();
        self.script(code, cwd, depth + 1);
        // Fold the nested commands into the enclosing command's findings.
        for r in self.reports.drain(before..) {
            if r.verdict != Verdict::Allow {
                out.push(Finding { verdict: r.verdict, rule_id: r.rule_id, reason: format!("{} (in: {})", r.reason, r.command) });
            }
        }
    }

    fn shell_code(&mut self, code: &Word, cwd: Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        match code.value() {
            Some(c) => self.nested(c, cwd, depth, out),
            None => Self::ask(out, "core.dynamic-code", "runs shell code only known at run time"),
        }
    }

    fn shell(&mut self, name: &str, args: &[Word], stdin: &Stdin, cwd: Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        let mut command_mode = false;
        let mut read_stdin = false;
        let mut i = 0;
        while i < args.len() {
            let w = &args[i];
            let Some(t) = w.value() else { break };
            if t == "--" || t == "-" {
                read_stdin |= t == "-";
                i += 1;
                break;
            }
            if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
                if matches!(t, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
                    i += 1;
                } else if !t.starts_with("--") {
                    command_mode |= t.contains('c');
                    read_stdin |= t.contains('s');
                }
                i += 1;
                continue;
            }
            break;
        }
        let rest = &args[i.min(args.len())..];
        if command_mode {
            match rest.first() {
                Some(code) => self.shell_code(code, cwd, depth, out),
                None => Self::ask(out, "core.dynamic-code", format!("{name} -c without code")),
            }
            return;
        }
        match rest.first() {
            Some(script) if !read_stdin => {
                if !script.known {
                    Self::ask(out, "core.dynamic-code", format!("{name} runs a script only known at run time"));
                }
            }
            _ => match stdin {
                Stdin::Text(code) => self.nested(code, cwd, depth, out),
                Stdin::Dynamic => Self::ask(out, "core.dynamic-code", format!("pipes code produced at run time into {name}")),
                Stdin::Inherited => Self::ask(out, "core.dynamic-code", format!("starts an interactive {name}")),
            },
        }
    }

    fn env(&mut self, args: &[Word], stdin: &Stdin, cwd: Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        let mut cwd = cwd;
        let mut i = 0;
        while i < args.len() {
            let w = &args[i];
            let Some(t) = w.value() else { break };
            let attached = t.strip_prefix("--split-string=").or_else(|| t.strip_prefix("-S").filter(|s| !s.is_empty()));
            let split = if t == "-S" || t == "--split-string" {
                i += 1;
                Some(args.get(i).cloned())
            } else {
                attached.map(|s| Some(Word::lit(s)))
            };
            if let Some(code) = split {
                // env -S splits its string into words; judge it, with the
                // remaining arguments appended, as shell code.
                let mut all = vec![code.unwrap_or_else(|| Word::unknown(""))];
                all.extend(args[i + 1..].iter().cloned());
                match join_known(&all) {
                    Some(c) => self.nested(&c, cwd, depth, out),
                    None => Self::ask(out, "core.dynamic-code", "env -S with a string only known at run time"),
                }
                return;
            }
            if t == "-C" || t == "--chdir" {
                i += 1;
                cwd = args.get(i).and_then(|d| match self.resolve_word(d, cwd.as_deref()) {
                    Resolved::Known(p) => Some(p),
                    Resolved::Unknown => None,
                });
            } else if let Some(d) = t.strip_prefix("--chdir=") {
                cwd = match paths::resolve(d, false, cwd.as_deref(), self.ctx) {
                    Resolved::Known(p) => Some(p),
                    Resolved::Unknown => None,
                };
            } else if t == "-u" || t == "--unset" {
                i += 1;
            } else if t.starts_with('-') && t.len() > 1 || t.contains('=') {
                // a flag or NAME=VALUE
                if let Some((var, _)) = t.split_once('=').filter(|(v, _)| !t.starts_with('-') && INJECTING_VARS.contains(v)) {
                    Self::ask(out, "core.env-injection", format!("setting {var} makes programs load or run other code"));
                }
            } else {
                break;
            }
            i += 1;
        }
        let mut cwd2 = cwd;
        self.exec(&args[i.min(args.len())..], stdin, &mut cwd2, depth + 1, out);
    }

    fn xargs(&mut self, args: &[Word], cwd: Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        let vopts = ["-a", "--arg-file", "-d", "--delimiter", "-E", "-I", "-L", "-l", "-n", "--max-args", "-P", "--max-procs", "-s", "--max-chars", "--process-slot-var", "--max-lines", "--replace", "--eof"];
        let rest = skip_options(args, &vopts);
        let opts = &args[..args.len() - rest.len()];
        let replace = option_value(opts, &["-I", "--replace"]).map(|w| w.text.clone()).or_else(|| {
            opts.iter().filter_map(Word::value).find(|t| t.starts_with("-i") || *t == "--replace").map(|t| {
                let r = t.trim_start_matches("-i").trim_start_matches("--replace");
                if r.is_empty() { "{}".to_string() } else { r.trim_start_matches('=').to_string() }
            })
        });
        let mut inner: Vec<Word> = if rest.is_empty() { vec![Word::lit("echo")] } else { rest.to_vec() };
        match replace {
            Some(r) => {
                for w in inner.iter_mut().skip(1) {
                    if w.text.contains(&r) {
                        *w = Word::unknown(w.text.clone());
                    }
                }
            }
            None => inner.push(Word::unknown("<arguments read from standard input>")),
        }
        self.exec(&inner, &Stdin::Inherited, &mut cwd.clone(), depth + 1, out);
    }

    fn parallel(&mut self, args: &[Word], cwd: Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        let vopts = ["-j", "--jobs", "-S", "--sshlogin", "--joblog", "-a", "--arg-file", "--delay", "--timeout", "-N", "-n", "-L", "--results", "--tmpdir", "--workdir", "--colsep", "-d", "--delimiter", "-I", "--replace", "--halt"];
        let rest = skip_options(args, &vopts);
        let sep = rest.iter().position(|w| w.text.starts_with(":::"));
        let (cmd, inputs) = match sep {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None => (rest, &[][..]),
        };
        if cmd.is_empty() {
            Self::ask(out, "core.dynamic-code", "parallel runs commands read from its input");
            return;
        }
        let Some(cmd_text) = join_known_raw(cmd) else {
            Self::ask(out, "core.dynamic-code", "parallel runs a command only known at run time");
            return;
        };
        // GNU parallel runs the command through a shell, `{}` replaced by each input.
        let unknown = "\"$__paddock_runtime_value\"".to_string();
        let values: Vec<String> = if inputs.is_empty() || sep.is_some_and(|p| rest[p].text == "::::") {
            vec![unknown]
        } else {
            inputs.iter().map(|w| w.value().map(shell_quote).unwrap_or_else(|| unknown.clone())).collect()
        };
        for v in values {
            let code = if cmd_text.contains("{}") { cmd_text.replace("{}", &v) } else { format!("{cmd_text} {v}") };
            self.nested(&code, cwd.clone(), depth, out);
        }
    }

    fn find(&mut self, args: &[Word], cwd: Option<PathBuf>, depth: usize, out: &mut Vec<Finding>) {
        let roots = find_roots(args);
        let mut i = 0;
        while i < args.len() {
            let t = args[i].text.as_str();
            if args[i].known && matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir") {
                let start = i + 1;
                let mut end = start;
                while end < args.len() && !(args[end].known && matches!(args[end].text.as_str(), ";" | "+")) {
                    end += 1;
                }
                for root in &roots {
                    let inner: Vec<Word> = args[start..end]
                        .iter()
                        .map(|w| if w.known && w.text.contains("{}") { Word { text: w.text.replace("{}", &root.text), ..root.clone() } } else { w.clone() })
                        .collect();
                    self.exec(&inner, &Stdin::Inherited, &mut cwd.clone(), depth + 1, out);
                }
                i = end;
            }
            i += 1;
        }
    }

    /// Applies command rules, writer targets and read-path rules to one command.
    fn judge(&self, name: &str, args: &[Word], stdin: &Stdin, cwd: Option<&Path>, out: &mut Vec<Finding>) {
        let known: Vec<&str> = args.iter().filter(|w| w.known).map(|w| w.text.as_str()).collect();
        let has_unknown = args.iter().any(|w| !w.known);
        let pos = positionals(name, args);
        let mut possibly = Vec::new();
        for rule in self.rules.commands_for(name) {
            let mut uncertain = false;
            let mut after_sub = pos.as_slice();
            if !rule.subcommands.is_empty() {
                let mut hit = false;
                for sub in &rule.subcommands {
                    if pos.len() < sub.len() {
                        continue;
                    }
                    let m = sub.iter().zip(pos.iter()).all(|(want, got)| {
                        if !got.known {
                            uncertain = true;
                            return true;
                        }
                        match want.strip_suffix('*') {
                            Some(prefix) => got.text.starts_with(prefix),
                            None => got.text == *want,
                        }
                    });
                    if m {
                        hit = true;
                        after_sub = &pos[sub.len()..];
                        break;
                    }
                }
                if !hit {
                    continue;
                }
            }
            let leading: Vec<&str>;
            let known = if rule.leading_flags_only {
                leading = args.iter().map_while(|w| w.value().filter(|t| t.starts_with('-'))).collect();
                &leading
            } else {
                &known
            };
            if rule.none_flags.iter().any(|f| has_flag(known, f)) {
                continue;
            }
            let mut conds_ok = true;
            if !rule.any_flags.is_empty() && !rule.any_flags.iter().any(|f| has_flag(known, f)) {
                conds_ok = false;
            }
            if !rule.all_flags.iter().all(|group| group.iter().any(|f| has_flag(known, f))) {
                conds_ok = false;
            }
            if !rule.any_args.is_empty()
                && !after_sub.iter().any(|w| w.known && rule.any_args.iter().any(|r| r.is_match(&w.text)))
            {
                conds_ok = false;
            }
            if let Some(re) = &rule.text {
                let mut line = String::from(name);
                for w in args {
                    line.push(' ');
                    line.push_str(&w.text);
                }
                if let Stdin::Text(t) = stdin {
                    line.push('\n');
                    line.push_str(t);
                }
                if !re.is_match(&line) {
                    conds_ok = false;
                }
            }
            let flag_or_arg_conds = !rule.any_flags.is_empty() || !rule.all_flags.is_empty() || !rule.any_args.is_empty();
            if conds_ok && !uncertain {
                out.push(Finding { verdict: rule.verdict, rule_id: rule.id.clone(), reason: rule.reason.clone() });
            } else if (conds_ok && uncertain) || (!conds_ok && has_unknown && flag_or_arg_conds) {
                // An argument only known at run time might be exactly what the rule looks for.
                possibly.push(Finding {
                    verdict: rule.verdict.min(Verdict::Ask),
                    rule_id: rule.id.clone(),
                    reason: format!("{} (possibly: an argument is only known at run time)", rule.reason),
                });
            }
        }
        // Writes and deletions through command arguments.
        for writer in &self.rules.writers {
            if !writer.names.is_match(name) {
                continue;
            }
            if !writer.when_flags.is_empty() && !writer.when_flags.iter().any(|f| has_flag(&known, f)) {
                continue;
            }
            let targets: Vec<Word> = match &writer.targets {
                Targets::All => positionals(name, args).into_iter().cloned().collect(),
                Targets::Last => {
                    let t = option_value(args, &["-t", "--target-directory"]).cloned();
                    t.or_else(|| positionals(name, args).last().map(|w| (*w).clone())).into_iter().collect()
                }
                Targets::Prefix(p) => args.iter().filter(|w| !w.known || w.text.starts_with(p.as_str())).map(|w| {
                    if w.known { Word { text: w.text[p.len()..].to_string(), ..w.clone() } } else { w.clone() }
                }).collect(),
                Targets::FindRoots => find_roots(args),
                Targets::OptionValue(names) => {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    option_value(args, &names).cloned().into_iter().collect()
                }
            };
            // `sed -i '' …` (BSD spelling): an empty word names no file.
            for t in targets.iter().filter(|t| !(t.known && t.text.is_empty())) {
                let r = self.resolve_word(t, cwd);
                self.check_path(Access::Write, &r, &t.text, out);
            }
        }
        // Uncertain matches rank after certain ones of the same verdict.
        out.append(&mut possibly);
        // Any argument naming a protected file counts as reading it
        // (`test -f .env` only asks whether it exists).
        let only_tests_existence = matches!(name, "test" | "[" | "[[");
        for w in args.iter().filter(|w| w.known && !only_tests_existence) {
            let t = w.text.as_str();
            let value = t.split_once('=').map(|(_, v)| v).filter(|_| t.starts_with('-') || t.starts_with("if="));
            for cand in std::iter::once(t).chain(value) {
                if cand.is_empty() || (cand.starts_with('-') && value.is_none()) {
                    continue;
                }
                let r = paths::resolve(cand, w.glob, cwd, self.ctx);
                if matches!(r, Resolved::Known(_)) {
                    self.check_path(Access::Read, &r, cand, out);
                }
            }
        }
    }
}

fn texts(args: &[Word]) -> Vec<&str> {
    args.iter().filter(|w| w.known).map(|w| w.text.as_str()).collect()
}

/// Skips leading options (and the values of `value_opts`); returns the rest.
fn skip_options<'w>(args: &'w [Word], value_opts: &[&str]) -> &'w [Word] {
    let mut i = 0;
    while i < args.len() {
        let Some(t) = args[i].value() else { break };
        if t == "--" {
            return &args[i + 1..];
        }
        if !(t.starts_with('-') && t.len() > 1) {
            break;
        }
        if value_opts.contains(&t) {
            i += 1;
        }
        i += 1;
    }
    &args[i.min(args.len())..]
}

fn option_value<'w>(args: &'w [Word], names: &[&str]) -> Option<&'w Word> {
    let i = args.iter().position(|w| w.known && names.contains(&w.text.as_str()))?;
    args.get(i + 1)
}

/// The entries under each `find` root, as a glob (`.` → `./*`): `find`
/// acts on what is below its roots, so `find . -delete` in the worktree is
/// inside it while `find / -delete` is not.
fn find_roots(args: &[Word]) -> Vec<Word> {
    let roots: Vec<Word> = args
        .iter()
        .take_while(|w| !(w.known && (w.text.starts_with('-') || w.text == "(" || w.text == "!")))
        .cloned()
        .collect();
    let roots = if roots.is_empty() { vec![Word::lit(".")] } else { roots };
    roots
        .into_iter()
        .map(|r| if r.known { Word { text: format!("{}/*", r.text.trim_end_matches('/')), known: true, glob: true } } else { r })
        .collect()
}

/// The words re-quoted as shell source, if all are statically known.
fn join_known(words: &[Word]) -> Option<String> {
    let mut s = String::new();
    for w in words {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(w.value()?);
    }
    Some(s)
}

/// Same as [`join_known`] (the string is re-parsed as shell code, as
/// `parallel` and `watch` do).
fn join_known_raw(words: &[Word]) -> Option<String> {
    join_known(words)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
