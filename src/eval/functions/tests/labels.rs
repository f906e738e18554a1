//! Label functions and `info()`.

use super::*;

#[test]
fn label_replace_cases() {
    let store = Fixture::new()
        .floats(
            "tm{src=\"source-value-10\",dst=\"original-destination-value\"}",
            5 * M,
            &[Some(0.0)],
        )
        .floats(
            "tm{src=\"source-value-20\",dst=\"original-destination-value\"}",
            5 * M,
            &[Some(1.0)],
        )
        .store;
    assert_eq!(
        eval(
            &store,
            "label_replace(tm, \"dst\", \"destination-value-$1\", \"src\", \"source-value-(.*)\")",
            0
        )
        .unwrap(),
        lines(&[
            "{__name__=\"tm\", dst=\"destination-value-10\", src=\"source-value-10\"} => 0",
            "{__name__=\"tm\", dst=\"destination-value-20\", src=\"source-value-20\"} => 1"
        ])
    );
    // Not a substring match.
    assert!(
        eval(
            &store,
            "label_replace(tm, \"dst\", \"v-$1\", \"src\", \"value-(.*)\")",
            0
        )
        .unwrap()
        .contains("original-destination-value")
    );
    // Empty replacement deletes.
    assert_eq!(
        eval(
            &store,
            "label_replace(tm, \"dst\", \"\", \"dst\", \".*\")",
            0
        )
        .unwrap(),
        lines(&[
            "{__name__=\"tm\", src=\"source-value-10\"} => 0",
            "{__name__=\"tm\", src=\"source-value-20\"} => 1"
        ])
    );
    assert_eq!(
        eval(
            &store,
            "label_replace(tm, \"dst\", \"value-$1\", \"src\", \"(.*\")",
            0
        )
        .unwrap_err(),
        "invalid regular expression in label_replace(): (.*"
    );
    assert_eq!(
        eval(&store, "label_replace(tm, \"src\", \"\", \"\", \"\")", 0).unwrap_err(),
        "vector cannot contain metrics with the same labelset"
    );
    assert_eq!(
        eval(
            &store,
            "label_replace(tm, \"\", \"\", \"src\", \"(.*)\")",
            0
        )
        .unwrap_err(),
        "invalid destination label name in label_replace(): "
    );
}

#[test]
fn label_replace_of_the_name_keeps_it_with_delayed_removal() {
    let store = Fixture::new().series("x_total", M, 0.0, 1.0, 5).store;
    assert_eq!(
        eval(
            &store,
            "label_replace(rate(x_total[5m]), \"__name__\", \"rate_x\", \"\", \"\")",
            5 * M
        )
        .unwrap(),
        "{__name__=\"rate_x\"} => 0.016666666666666666\n"
    );
}

#[test]
fn label_join_cases() {
    let store = Fixture::new()
        .floats(
            "tm{src=\"a\",src1=\"b\",src2=\"c\",dst=\"orig\"}",
            5 * M,
            &[Some(0.0)],
        )
        .floats("dup{label=\"a\",this=\"a\"}", 5 * M, &[Some(1.0)])
        .floats("dup{label=\"b\",this=\"a\"}", 5 * M, &[Some(1.0)])
        .store;
    assert_eq!(
        eval(
            &store,
            "label_join(tm, \"dst\", \"-\", \"src\", \"src3\", \"src1\")",
            0
        )
        .unwrap(),
        "{__name__=\"tm\", dst=\"a--b\", src=\"a\", src1=\"b\", src2=\"c\"} => 0\n"
    );
    assert_eq!(
        eval(&store, "label_join(tm, \"dst\", \", \")", 0).unwrap(),
        "{__name__=\"tm\", src=\"a\", src1=\"b\", src2=\"c\"} => 0\n"
    );
    assert_eq!(
        eval(&store, "label_join(dup, \"label\", \"\", \"this\")", 0).unwrap_err(),
        "vector cannot contain metrics with the same labelset"
    );
}

#[test]
fn sort_by_label_uses_natural_order() {
    let mut fx = Fixture::new();
    for cpu in ["0", "1", "2", "3", "10", "11", "12", "20", "21", "100"] {
        fx = fx.floats(
            &format!("cpu{{job=\"cpu\",cpu=\"{cpu}\"}}"),
            5 * M,
            &[Some(1.0)],
        );
    }
    let got = eval_ordered(&fx.store, "sort_by_label(cpu, \"cpu\")", 0);
    let cpus: Vec<String> = got
        .iter()
        .map(|l| l.split('"').nth(3).unwrap().to_string())
        .collect();
    assert_eq!(
        cpus,
        ["0", "1", "2", "3", "10", "11", "12", "20", "21", "100"]
    );
    let desc = eval_ordered(&fx.store, "sort_by_label_desc(cpu, \"cpu\")", 0);
    assert_eq!(
        desc.first().unwrap(),
        "{__name__=\"cpu\", cpu=\"100\", job=\"cpu\"}"
    );
}

#[test]
fn sort_by_label_falls_back_to_the_label_set() {
    let store = Fixture::new()
        .floats(
            "hr{job=\"api\",instance=\"0\",group=\"production\"}",
            5 * M,
            &[Some(1.0)],
        )
        .floats(
            "hr{job=\"app\",instance=\"0\",group=\"canary\"}",
            5 * M,
            &[Some(1.0)],
        )
        .floats(
            "hr{job=\"api\",instance=\"0\",group=\"canary\"}",
            5 * M,
            &[Some(1.0)],
        )
        .store;
    assert_eq!(
        eval_ordered(&store, "sort_by_label(hr, \"instance\")", 0),
        [
            "{__name__=\"hr\", group=\"canary\", instance=\"0\", job=\"api\"}",
            "{__name__=\"hr\", group=\"canary\", instance=\"0\", job=\"app\"}",
            "{__name__=\"hr\", group=\"production\", instance=\"0\", job=\"api\"}"
        ]
    );
}

#[test]
fn info_adds_data_labels() {
    let store = Fixture::new()
        .series(
            "metric{instance=\"a\",job=\"1\",label=\"value\"}",
            5 * M,
            0.0,
            1.0,
            2,
        )
        .series(
            "other{instance=\"a\",job=\"2\",label=\"value\"}",
            5 * M,
            0.0,
            1.0,
            2,
        )
        .series(
            "target_info{instance=\"a\",job=\"1\",data=\"info\",another_data=\"another info\"}",
            5 * M,
            1.0,
            0.0,
            2,
        )
        .series(
            "build_info{instance=\"a\",job=\"1\",build_data=\"build\"}",
            5 * M,
            1.0,
            0.0,
            2,
        )
        .store;
    assert_eq!(
        eval(&store, "info(metric)", 5 * M).unwrap(),
        "{__name__=\"metric\", another_data=\"another info\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(metric, {data=~\".+\"})", 5 * M).unwrap(),
        "{__name__=\"metric\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(other, {data=~\".+\"})", 5 * M).unwrap(),
        ""
    );
    assert_eq!(
        eval(&store, "info(metric, {__name__=~\".+_info\"})", 5 * M).unwrap(),
        "{__name__=\"metric\", another_data=\"another info\", build_data=\"build\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(build_info, {__name__=~\".+_info\"})", 5 * M).unwrap(),
        "{__name__=\"build_info\", build_data=\"build\", instance=\"a\", job=\"1\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(floor(metric))", 5 * M).unwrap(),
        "{another_data=\"another info\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
}

#[test]
fn info_errors() {
    let store = Fixture::new()
        .series("metric{instance=\"a\",job=\"1\"}", M, 1.0, 1.0, 2)
        .series(
            "target_info{instance=\"a\",job=\"1\",x=\"from_target\"}",
            M,
            1.0,
            0.0,
            2,
        )
        .series(
            "build_info{instance=\"a\",job=\"1\",x=\"from_build\"}",
            M,
            1.0,
            0.0,
            2,
        )
        .at(
            "histogram{instance=\"a\",job=\"1\"}",
            &[(0, h(hist(1, 22.0, 3.0, 0, &[5.0, 10.0, 7.0])))],
        )
        .store;
    assert_eq!(
        eval(&store, "info(metric, {__name__=~\".+_info\"})", M).unwrap_err(),
        "conflicting label: x"
    );
    assert!(
        eval(&store, "info(metric, {__name__=\"histogram\"})", 0)
            .unwrap_err()
            .starts_with("this should be an info metric, with float samples")
    );
}

#[test]
fn info_at_and_offset_pin_the_info_lookup() {
    let store = Fixture::new()
        .series("metric{instance=\"a\",job=\"1\"}", M, 0.0, 1.0, 8)
        .floats(
            "target_info{instance=\"a\",job=\"1\",version=\"old\"}",
            M,
            &[Some(1.0), Some(1.0), Some(1.0), stale()],
        )
        .floats(
            "target_info{instance=\"a\",job=\"1\",version=\"new\"}",
            M,
            &[
                None,
                None,
                None,
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(1.0),
            ],
        )
        .store;
    assert_eq!(
        eval(&store, "info(metric offset 2m)", 4 * M).unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"old\"} => 2\n"
    );
    assert_eq!(
        eval(&store, "info(metric @ 120)", 9 * M).unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"old\"} => 2\n"
    );
    assert_eq!(
        eval(
            &store,
            "info(last_over_time((metric offset 1m)[10m:1m] @ 180))",
            40 * M
        )
        .unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"old\"} => 2\n"
    );
    assert_eq!(
        eval(
            &store,
            "info(last_over_time(metric[5m:1m] offset 6m))",
            9 * M
        )
        .unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"new\"} => 3\n"
    );
}
