//! Network namespaces for tests that must cut nodes apart: each node gets a namespace of its
//! own with one address on a private /24, its veth plugged into a bridge in a hub namespace;
//! the test's namespace joins the bridge too, so the test reaches every node. A partition is
//! blackhole routes inside the namespaces of each side; healing removes them. Everything is
//! deleted when the [`Lab`] is dropped. Needs root (as CI runs) and iproute2.

use std::process::Command;

/// The namespaces, bridge and addresses of one test.
pub struct Lab {
    tag: String,
    subnet: String,
    nodes: usize,
}

/// Runs `ip ARGS`; it must succeed.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("iproute2's `ip` runs (apt-get install iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {} (network namespaces need root)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

impl Lab {
    /// A lab of `nodes` namespaces. Names and the subnet come from the process id, so two test
    /// runs on one machine do not meet; what a killed run left behind is swept first.
    pub fn new(nodes: usize) -> Lab {
        sweep();
        let pid = std::process::id();
        let lab = Lab {
            tag: format!("cl{pid}"),
            subnet: format!("10.77.{}", pid % 250),
            nodes,
        };
        let hub = lab.hub();
        ip(&["netns", "add", &hub]);
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &hub, "link", "set", "br0", "up"]);
        // The test's own leg on the bridge.
        let (root, root_hub) = (format!("{}r", lab.tag), format!("{}rh", lab.tag));
        ip(&[
            "link", "add", &root, "type", "veth", "peer", "name", &root_hub,
        ]);
        lab.plug(&root_hub);
        ip(&[
            "addr",
            "add",
            &format!("{}.254/24", lab.subnet),
            "dev",
            &root,
        ]);
        ip(&["link", "set", &root, "up"]);
        for i in 0..nodes {
            let (ns, leg, leg_hub) = (
                lab.ns(i),
                format!("{}n{i}", lab.tag),
                format!("{}n{i}h", lab.tag),
            );
            ip(&["netns", "add", &ns]);
            ip(&[
                "link", "add", &leg, "type", "veth", "peer", "name", &leg_hub,
            ]);
            ip(&["link", "set", &leg, "netns", &ns]);
            lab.plug(&leg_hub);
            let addr = format!("{}/24", lab.ip(i));
            ip(&["-n", &ns, "addr", "add", &addr, "dev", &leg]);
            ip(&["-n", &ns, "link", "set", &leg, "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        lab
    }

    fn hub(&self) -> String {
        format!("{}-hub", self.tag)
    }

    /// Moves a veth end into the hub and onto the bridge.
    fn plug(&self, leg: &str) {
        let hub = self.hub();
        ip(&["link", "set", leg, "netns", &hub]);
        ip(&["-n", &hub, "link", "set", leg, "master", "br0"]);
        ip(&["-n", &hub, "link", "set", leg, "up"]);
    }

    /// The namespace of node `i`.
    pub fn ns(&self, i: usize) -> String {
        format!("{}-{i}", self.tag)
    }

    /// The address of node `i`.
    pub fn ip(&self, i: usize) -> String {
        format!("{}.{}", self.subnet, i + 1)
    }

    /// Cuts every node of `a` off from every node of `b`, both ways.
    pub fn cut(&self, a: &[usize], b: &[usize]) {
        self.routes("add", a, b);
    }

    /// Undoes [`Lab::cut`].
    pub fn heal(&self, a: &[usize], b: &[usize]) {
        self.routes("del", a, b);
    }

    fn routes(&self, verb: &str, a: &[usize], b: &[usize]) {
        for (from, to) in a
            .iter()
            .flat_map(|x| b.iter().flat_map(move |y| [(*x, *y), (*y, *x)]))
        {
            let dest = format!("{}/32", self.ip(to));
            ip(&["-n", &self.ns(from), "route", verb, "blackhole", &dest]);
        }
    }
}

/// Deletes the namespaces and root veths of labs whose test process is gone (`clPID-...`,
/// `clPIDr`).
fn sweep() {
    let dead = |name: &str| {
        let digits: String = name
            .strip_prefix("cl")
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        !digits.is_empty() && !std::path::Path::new(&format!("/proc/{digits}")).exists()
    };
    let listed = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    for line in listed(&["netns", "list"]).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        if name.contains('-') && dead(name) {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
    for line in listed(&["-o", "link", "show"]).lines() {
        // `7: clPIDr@if6: <...`
        let name = line.split(':').nth(1).unwrap_or_default().trim();
        let name = name.split('@').next().unwrap_or_default();
        if name.ends_with('r') && dead(name) {
            let _ = Command::new("ip").args(["link", "del", name]).status();
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth ends, and with them their peers.
        for ns in (0..self.nodes).map(|i| self.ns(i)).chain([self.hub()]) {
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        }
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{}r", self.tag)])
            .status();
    }
}
