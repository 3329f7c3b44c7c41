"""The effective runtime view for every runtime family, with inventories shaped as the catalogers
write them (jar members, gemspecs, Go binaries, NuGet packages), built by hand."""
from __future__ import annotations

from pkgscan import ecosystems
from pkgscan.aws.runtime_view import NOT_ON_PATH, effective_view, parse_runtime
from pkgscan.model import Artifact, Component, Inventory, Occurrence

L1 = "arn:aws:lambda:us-east-1:111111111111:layer:one:1"
L2 = "arn:aws:lambda:us-east-1:111111111111:layer:two:1"
LOG4J = "org.apache.logging.log4j:log4j-core"
POM = "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties"


def comp(eco: str, name: str, version: str, *locations: str, root: str = "") -> Component:
    e = ecosystems.get(eco)
    return Component(eco, name, version, e.make_purl(name, version),
                     occurrences=tuple(Occurrence(loc, root) for loc in locations))


def inv(*components: Component, layout: str = "function") -> Inventory:
    return Inventory(Artifact("a.zip", "a.zip", "zip", layout), components=components)


def statuses(view, name: str) -> dict[tuple[str, str], str]:
    return {(c.source, c.version): c.status for c in view.copies if c.name == name}


# ------------------------------------------------------------------------------------------ Java
def test_java_function_jars_come_before_layer_jars():
    fn = inv(comp("maven", LOG4J, "2.14.1", f"lib/log4j-core-2.14.1.jar!/{POM}"))
    layer = inv(comp("maven", LOG4J, "2.17.1", f"java/lib/log4j-core-2.17.1.jar!/{POM}"), layout="layer")
    view = effective_view("java21", fn, [(L1, layer)])
    loaded = view.loaded("maven", LOG4J)
    assert (loaded.version, loaded.search_path) == ("2.14.1", "/var/task/lib/log4j-core-2.14.1.jar")
    [other] = [c for c in view.copies if c.version == "2.17.1"]
    assert (other.status, other.search_path) == ("shadowed", "/opt/java/lib/log4j-core-2.17.1.jar")
    assert other.shadowed_by == f"function lib/log4j-core-2.14.1.jar!/{POM}"
    assert view.shadowed() == (other,)


def test_java_function_classes_come_before_its_lib_jars():
    # a fat jar deployed as the function: its shaded pom.properties sit at /var/task itself
    fn = inv(comp("maven", LOG4J, "2.17.2", POM), comp("maven", LOG4J, "2.14.1", f"lib/a-2.14.1.jar!/{POM}"))
    view = effective_view("java17", fn, [])
    assert view.loaded("maven", LOG4J).search_path == "/var/task"
    assert statuses(view, LOG4J) == {("function", "2.17.2"): "loaded", ("function", "2.14.1"): "shadowed"}


def test_java_layer_jars_order_by_file_name_not_by_layer_order():
    # both layers unpack into the one /opt/java/lib; the class loader sorts the jars by name
    first = inv(comp("maven", LOG4J, "2.17.1", f"java/lib/log4j-core-2.17.1.jar!/{POM}"), layout="layer")
    second = inv(comp("maven", LOG4J, "2.12.4", f"java/lib/log4j-core-2.12.4.jar!/{POM}"), layout="layer")
    for layers in ([(L1, first), (L2, second)], [(L1, second), (L2, first)]):
        view = effective_view("java21", None, layers)
        assert view.loaded("maven", LOG4J).version == "2.12.4"
        [other] = [c for c in view.copies if c.version == "2.17.1"]
        assert other.status == "shadowed" and other.rank > view.loaded("maven", LOG4J).rank


def test_java_same_jar_in_two_layers_is_overwritten_by_the_later():
    a = inv(comp("maven", LOG4J, "2.14.1", f"java/lib/log4j-core.jar!/{POM}"), layout="layer")
    b = inv(comp("maven", LOG4J, "2.17.1", f"java/lib/log4j-core.jar!/{POM}"), layout="layer")
    view = effective_view("java21", None, [(L1, a), (L2, b)])
    assert statuses(view, LOG4J) == {(L2, "2.17.1"): "loaded", (L1, "2.14.1"): "overwritten"}


def test_java_places_the_class_loader_never_reads():
    fn = inv(comp("maven", LOG4J, "2.14.1", f"lib/sub/log4j-core-2.14.1.jar!/{POM}"),  # not lib/*.jar
             comp("maven", "com.example:app", "1.0",
                  "app.jar!/BOOT-INF/lib/x-1.0.jar!/META-INF/maven/com.example/app/pom.properties"),  # nested jar
             comp("maven", "com.example:root", "1.0", "root-1.0.jar!/META-INF/maven/com.example/root/pom.properties"),
             comp("maven", "com.example:loose", "1.0", "conf/META-INF/maven/com.example/loose/pom.properties"))
    layer = inv(comp("maven", LOG4J, "2.17.1", f"java/log4j-core-2.17.1.jar!/{POM}"), layout="layer")  # not java/lib
    view = effective_view("java21", fn, [(L1, layer)])
    assert {c.status for c in view.copies} == {"not-on-path"}
    assert all(c.rank == NOT_ON_PATH for c in view.copies)
    assert view.loaded("maven", LOG4J) is None


def test_jar_in_a_python_function_is_not_on_path_and_said_so():
    fn = inv(comp("maven", LOG4J, "2.14.1", f"lib/log4j-core-2.14.1.jar!/{POM}"),
             comp("pypi", "requests", "2.31.0", "requests-2.31.0.dist-info/METADATA"))
    view = effective_view("python3.12", fn, [])
    assert statuses(view, LOG4J) == {("function", "2.14.1"): "not-on-path"}
    assert view.loaded("pypi", "requests").version == "2.31.0"
    assert "python3.12 does not load maven packages: 1 copy not on its path" in view.notes


def test_python_package_in_a_node_function_is_not_loaded():
    # before: every copy that was not PyPI was treated as Node, and /var/task PyPI copies were "loaded" anywhere
    fn = inv(comp("pypi", "requests", "2.31.0", "requests-2.31.0.dist-info/METADATA"),
             comp("npm", "ms", "2.1.3", "node_modules/ms/package.json", root="node_modules"))
    view = effective_view("nodejs20.x", fn, [])
    assert statuses(view, "requests") == {("function", "2.31.0"): "not-on-path"}
    assert view.loaded("npm", "ms").version == "2.1.3"


# ------------------------------------------------------------------------------------------ Ruby
def gemspec(prefix: str, name: str, version: str) -> str:
    return f"{prefix}/specifications/{name}-{version}.gemspec"


def test_ruby_highest_version_on_gem_path_wins_then_path_order():
    fn = inv(comp("gem", "rack", "2.2.8", gemspec("vendor/bundle/ruby/3.3.0", "rack", "2.2.8")),
             comp("gem", "json", "2.7.1", gemspec("vendor/bundle/ruby/3.3.0", "json", "2.7.1")))
    layer = inv(comp("gem", "rack", "3.0.9", gemspec("ruby/gems/3.3.0", "rack", "3.0.9")),
                comp("gem", "json", "2.7.1", gemspec("ruby/gems/3.3.0", "json", "2.7.1")), layout="layer")
    view = effective_view("ruby3.3", fn, [(L1, layer)])
    # RubyGems activates the highest version anywhere on GEM_PATH: the layer's rack 3.0.9
    rack = view.loaded("gem", "rack")
    assert (rack.version, rack.search_path) == ("3.0.9", "/opt/ruby/gems/3.3.0")
    assert statuses(view, "rack")[("function", "2.2.8")] == "shadowed"
    # the same version in both: GEM_PATH order, the function's vendor/bundle first
    assert view.loaded("gem", "json").search_path == "/var/task/vendor/bundle/ruby/3.3.0"
    assert statuses(view, "json")[(L1, "2.7.1")] == "shadowed"
    assert any("Gemfile.lock" in n for n in view.notes)
    assert any("AWS SDK for Ruby" in n for n in view.notes)


def test_ruby_abi_directory_must_match_the_runtime():
    fn = inv(comp("gem", "rack", "3.0.9", gemspec("vendor/bundle/ruby/3.2.0", "rack", "3.0.9")))
    layer = inv(comp("gem", "rack", "2.2.8", gemspec("ruby/gems/3.3.0", "rack", "2.2.8")), layout="layer")
    view = effective_view("ruby3.3", fn, [(L1, layer)])
    assert statuses(view, "rack") == {("function", "3.0.9"): "not-on-path", (L1, "2.2.8"): "loaded"}


def test_ruby_same_gemspec_in_two_layers_is_overwritten():
    a = inv(comp("gem", "rack", "3.0.9", gemspec("ruby/gems/3.3.0", "rack", "3.0.9")), layout="layer")
    view = effective_view("ruby3.3", None, [(L1, a), (L2, a)])
    assert {(c.source, c.status) for c in view.copies} == {(L2, "loaded"), (L1, "overwritten")}


# ------------------------------------------------------------------------------------------ .NET
def test_dotnet_function_packages_load_layer_packages_are_not_modelled():
    fn = inv(comp("nuget", "newtonsoft.json", "13.0.1", "Function.deps.json"))
    layer = inv(comp("nuget", "newtonsoft.json", "12.0.3", "dotnet/Newtonsoft.Json.dll"), layout="layer")
    view = effective_view("dotnet8", fn, [(L1, layer)])
    assert statuses(view, "newtonsoft.json") == {("function", "13.0.1"): "loaded", (L1, "12.0.3"): "not-modelled"}
    assert any("not modelled beyond the function's own packages" in n for n in view.notes)
    assert not view.shadowed()
    # two apps' .deps.json in sub-folders: which one runs is the handler's business, not modelled
    nested = inv(comp("nuget", "Newtonsoft.Json", "13.0.1", "app/App.deps.json"))
    assert [c.status for c in effective_view("dotnet8", nested, []).copies] == ["not-modelled"]


# ------------------------------------------------------------------------------------ Go / provided
def test_provided_runtime_runs_bootstrap_and_extensions_each_with_its_own_modules():
    fn = inv(comp("golang", "golang.org/x/net", "v0.17.0", "bootstrap"),
             comp("golang", "github.com/aws/aws-lambda-go", "v1.41.0", "bootstrap"),
             comp("golang", "golang.org/x/text", "v0.3.7", "bin/helper"))
    layer = inv(comp("golang", "golang.org/x/net", "v0.7.0", "extensions/telemetry"),
                comp("golang", "golang.org/x/net", "v0.1.0", "bootstrap"), layout="layer")
    view = effective_view("provided.al2023", fn, [(L1, layer)])
    net = {(c.source, c.search_path): c.status for c in view.copies if c.name == "golang.org/x/net"}
    assert net == {("function", "/var/task/bootstrap"): "loaded",
                   (L1, "/opt/extensions/telemetry"): "loaded",  # a separate process: no shadowing
                   (L1, "/opt/bootstrap"): "not-on-path"}  # the function's own bootstrap runs instead
    assert statuses(view, "golang.org/x/text") == {("function", "v0.3.7"): "not-modelled"}
    assert not view.shadowed()
    assert any("not modelled beyond the bootstrap executable" in n for n in view.notes)
    assert "the function's own bootstrap runs, not the layer's /opt/bootstrap" in view.notes


def test_layer_bootstrap_without_a_function_bootstrap_is_not_modelled():
    layer = inv(comp("golang", "golang.org/x/net", "v0.1.0", "bootstrap"), layout="layer")
    view = effective_view("provided.al2", inv(), [(L1, layer)])
    assert [c.status for c in view.copies] == ["not-modelled"]


def test_go_binary_in_a_python_function_is_not_modelled_never_loaded_or_shadowed():
    fn = inv(comp("golang", "golang.org/x/net", "v0.17.0", "bin/tool"))
    view = effective_view("python3.12", fn, [])
    assert [c.status for c in view.copies] == ["not-modelled"]


# ------------------------------------------------------------------------------------------ misc
def test_unregistered_ecosystem_is_never_labelled_loaded():
    fn = inv(Component("cargo", "serde", "1.0.0", "pkg:cargo/serde@1.0.0", occurrences=(Occurrence("Cargo.lock"),)))
    for runtime in ("python3.12", "provided.al2023", ""):
        view = effective_view(runtime, fn, [])
        assert [c.status for c in view.copies] == ["not-on-path" if runtime == "python3.12" else "not-modelled"], runtime


def test_parse_runtime():
    assert [(r.family, r.version, r.loads) for r in map(parse_runtime, (
        "python3.13", "nodejs22.x", "java8.al2", "java21", "ruby3.4", "dotnet8", "dotnetcore3.1", "go1.x",
        "provided", "provided.al2023", "", "cobol"))] == [
        ("python", "3.13", "pypi"), ("node", "22", "npm"), ("java", "8", "maven"), ("java", "21", "maven"),
        ("ruby", "3.4", "gem"), ("dotnet", "8", "nuget"), ("dotnet", "3.1", "nuget"), ("go", "1", None),
        ("provided", None, None), ("provided", "al2023", None), ("", None, None), ("", None, None)]


# ------------------------------------------------------------------------------- the real samples
def test_real_samples_java_function_with_a_java_layer():
    from pkgscan import scan_path

    from .conftest import SAMPLES

    fn, layer = scan_path(SAMPLES / "java-function.zip"), scan_path(SAMPLES / "java-layer.zip")
    view = effective_view("java21", fn, [(L1, layer)])
    # the function's lib/log4j-api-2.14.1.jar comes before the layer's /opt/java/lib/log4j-api.jar
    api = view.loaded("maven", "org.apache.logging.log4j:log4j-api")
    assert (api.version, api.search_path) == ("2.14.1", "/var/task/lib/log4j-api-2.14.1.jar")
    [shadowed] = view.shadowed()
    assert (shadowed.version, shadowed.source, shadowed.search_path) == ("2.19.0", L1, "/opt/java/lib/log4j-api.jar")
    # the same layer under Python: nothing of it is on the path, and the note says why
    py = effective_view("python3.12", scan_path(SAMPLES / "python-function.zip"), [(L1, layer)])
    assert {c.status for c in py.copies if c.ecosystem == "maven"} == {"not-on-path"}
    assert any(n.startswith("python3.12 does not load maven packages") for n in py.notes)


def test_real_samples_ruby_go_dotnet():
    from pkgscan import scan_path

    from .conftest import SAMPLES

    ruby = scan_path(SAMPLES / "ruby-function.zip")
    assert {c.status for c in effective_view("ruby3.3", ruby, []).copies} == {"loaded"}
    older = effective_view("ruby3.2", ruby, [])  # bundled for 3.3.0: ruby3.2's GEM_PATH does not hold it
    assert {c.status for c in older.copies} == {"not-on-path"}
    assert any("ruby3.2 does not search: /var/task/vendor/bundle/ruby/3.3.0" in n for n in older.notes)
    go = effective_view("provided.al2023", scan_path(SAMPLES / "go-function.zip"), [])
    assert {(c.search_path, c.status) for c in go.copies} == {("/var/task/bootstrap", "loaded")}
    dotnet = effective_view("dotnet8", scan_path(SAMPLES / "dotnet-function.zip"), [])
    assert dotnet.loaded("nuget", "Newtonsoft.Json").version == "12.0.3"
