//! Same input, byte-identical output, whatever the thread count.

use std::process::Command;

use super::*;

fn generated_repo() -> Repo {
    let repo = Repo::empty();
    repo.write(
        "hardline.yaml",
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata: {name: gen}\n",
    );
    for b in 0..6 {
        repo.write(
            &format!("baselines/b{b}.yaml"),
            &format!(
                "apiVersion: hardline/v1\nkind: Baseline\nmetadata: {{name: b{b}, owner: o}}\nrender: {{template: t{b}.j2, target: etc/b{b}.conf}}\nsettings:\n  limit: {{value: 10, min: 1, max: 100}}\n  mode: {{value: strict, oneOf: [strict, relaxed]}}\n  list: {{value: [a, b], subsetOf: [a, b, c]}}\n"
            ),
        );
        repo.write(&format!("templates/t{b}.j2"), "limit {{ settings.limit }}\nmode {{ settings.mode }}\nlist {{ settings.list | join(',') }}\nenv {{ environment.name }}\n");
    }
    for e in 0..30 {
        repo.write(
            &format!("environments/e{e:02}.yaml"),
            &format!("apiVersion: hardline/v1\nkind: Environment\nmetadata: {{name: e{e:02}}}\noutput: deploy/e{e:02}\nvalues:\n  b{}:\n    limit: {}\n", e % 6, if e == 5 { 500 } else { 1 + (e * 7) % 100 }),
        );
    }
    repo.run(&["render", "--write", "--fail-on", "critical"])
        .assert_code(0);
    // Some drift and some problems, so the report is not empty.
    repo.write("deploy/e03/etc/b1.conf", "limit 1\n");
    repo.write("deploy/e07/stray.conf", "x\n");
    repo
}

#[test]
fn output_is_identical_across_thread_counts() {
    let repo = generated_repo();
    let dir = repo.path().to_str().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2", "8"] {
        for format in ["json", "human"] {
            let out = Command::new(bin())
                .args(["-C", dir, "check", "--format", format, "--fail-on", "info"])
                .env("RAYON_NUM_THREADS", threads)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1));
            outputs.push((format, out.stdout));
        }
    }
    for pair in outputs.chunks(2).skip(1) {
        assert_eq!(
            pair[0].1, outputs[0].1,
            "json differs between thread counts"
        );
        assert_eq!(
            pair[1].1, outputs[1].1,
            "human output differs between thread counts"
        );
    }
    let run = repo.run(&["check", "--format", "json"]);
    assert_eq!(
        rules(&run.findings()),
        ["drift", "unmanaged-file", "out-of-bounds"]
    );
}
