using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using k8s;

namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>
/// Validates Kubernetes objects against the reference schemas the way a Kubernetes 1.35 API server with strict field
/// validation would: built-in kinds against the Kubernetes OpenAPI v3 documents, cert-manager kinds against the
/// v1.21.1 CRDs. Unknown fields, wrong types, missing required fields, malformed names are all errors; an apiVersion
/// and kind with no schema is an error too, never a pass.
/// </summary>
/// <remarks>
/// <para>Use <see cref="ForDirectory"/>: the documents (core/v1 alone is 2 MB) are loaded once per directory and process,
/// on first use. <see cref="ReferenceLocation.Locate"/> finds the directory.</para>
/// <para>How the OpenAPI documents are made strict is described on <see cref="OpenApiStrictness"/>. Not checked here:
/// CRD CEL rules (<c>x-kubernetes-validations</c>), the Go validation code of built-in kinds beyond names and labels
/// (e.g. that a Deployment's selector matches its template labels, port ranges), admission webhooks, and whether a
/// namespaced object has a namespace.</para>
/// </remarks>
public sealed partial class KubernetesSchemas
{
    private const string BaseUri = "https://localtls.invalid/schemas/";
    private const string ObjectMetaSchema = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<KubernetesSchemas>> Loaded = new(StringComparer.Ordinal);

    private readonly Dictionary<GroupVersionKind, KindSchema> kinds;
    private readonly Dictionary<string, JsonNode> documents;
    private readonly EvaluationOptions evaluationOptions;

    private KubernetesSchemas(
        string referenceDirectory,
        Dictionary<GroupVersionKind, KindSchema> kinds,
        Dictionary<string, JsonNode> documents,
        EvaluationOptions evaluationOptions,
        IReadOnlyList<(string Step, TimeSpan Time)> loadSteps,
        TimeSpan loadTime)
    {
        ReferenceDirectory = referenceDirectory;
        this.kinds = kinds;
        this.documents = documents;
        this.evaluationOptions = evaluationOptions;
        LoadSteps = loadSteps;
        LoadTime = loadTime;
    }

    /// <summary>The schemas under <paramref name="referenceDirectory"/>, loaded on first use and shared by the whole process.</summary>
    public static KubernetesSchemas ForDirectory(string referenceDirectory) =>
        Loaded.GetOrAdd(
            Path.GetFullPath(referenceDirectory),
            dir => new Lazy<KubernetesSchemas>(() => Load(dir), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>The directory the schemas were read from.</summary>
    public string ReferenceDirectory { get; }

    /// <summary>Wall-clock time <see cref="Load"/> took.</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>What <see cref="LoadTime"/> was spent on, step by step.</summary>
    public IReadOnlyList<(string Step, TimeSpan Time)> LoadSteps { get; }

    /// <summary>Every apiVersion/kind that has a schema.</summary>
    public IReadOnlyCollection<GroupVersionKind> Kinds => kinds.Keys;

    /// <summary>Where a kind's schema comes from (e.g. <c>io.k8s.api.core.v1.Secret</c> in <c>api__v1_openapi.json</c>), or null.</summary>
    public string? SchemaSource(GroupVersionKind kind) => kinds.TryGetValue(kind, out var schema) ? schema.Source : null;

    /// <summary>Whether the schemas know the kind; for a CRD, whether it is namespaced. Null for an unknown kind.</summary>
    public bool? IsNamespaced(GroupVersionKind kind) => kinds.TryGetValue(kind, out var schema) ? schema.Namespaced : null;

    /// <summary>Reads, rewrites and indexes every schema under <paramref name="referenceDirectory"/>.</summary>
    public static KubernetesSchemas Load(string referenceDirectory)
    {
        var total = Stopwatch.StartNew();
        var steps = new List<(string, TimeSpan)>();
        var buildOptions = new BuildOptions { Dialect = Dialect.Draft202012 };
        var documents = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        var index = new Dictionary<GroupVersionKind, (string Uri, string Pointer, string Source, bool? Namespaced)>();
        var formats = new HashSet<string>(StringComparer.Ordinal);

        var openApiDirectory = Path.Combine(referenceDirectory, "kubernetes", "openapi-v3");
        string? coreUri = null;
        foreach (var file in Directory.GetFiles(openApiDirectory, "*_openapi.json").OrderBy(f => f, StringComparer.Ordinal))
        {
            var step = Stopwatch.StartNew();
            var stem = Path.GetFileName(file)[..^"_openapi.json".Length];
            var uri = BaseUri + "kubernetes/" + stem.Replace("__", "/", StringComparison.Ordinal);
            var documentVersion = DocumentGroupVersion(stem);
            var root = JsonNode.Parse(File.ReadAllText(file))!;
            var schemas = root["components"]?["schemas"]?.AsObject()
                ?? throw new InvalidDataException($"{file} has no components.schemas");
            foreach (var name in schemas.Select(s => s.Key).ToList())
            {
                var schema = schemas[name]!;
                CollectFormats(schema, formats);
                var strict = OpenApiStrictness.Apply(schema, crd: false);
                if (!ReferenceEquals(strict, schema))
                {
                    schemas[name] = strict;
                }

                // A kind is indexed from the document of its own group/version (every document also lists shared
                // kinds such as DeleteOptions under dozens of groups).
                foreach (var gvk in strict["x-kubernetes-group-version-kind"]?.AsArray() ?? [])
                {
                    var kind = new GroupVersionKind((string)gvk!["group"]!, (string)gvk["version"]!, (string)gvk["kind"]!);
                    if ((kind.Group, kind.Version) == documentVersion)
                    {
                        index.TryAdd(kind, (uri, "/components/schemas/" + name, $"{name} in {Path.GetFileName(file)}", null));
                    }
                }
            }

            Register(buildOptions, uri, root, documents);
            if (documentVersion == ("", "v1"))
            {
                coreUri = uri;
            }

            steps.Add(($"{Path.GetFileName(file)} ({new FileInfo(file).Length / 1024} KiB): parse, make strict, register", step.Elapsed));
        }

        if (coreUri is null)
        {
            throw new InvalidDataException($"{openApiDirectory} has no api__v1_openapi.json (needed for ObjectMeta)");
        }

        var crdDirectory = Path.Combine(referenceDirectory, "cert-manager", "crds");
        foreach (var file in Directory.GetFiles(crdDirectory, "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            var step = Stopwatch.StartNew();
            foreach (var crd in YamlJson.ParseAll(File.ReadAllText(file)).OfType<JsonObject>())
            {
                var spec = crd["spec"]!;
                var crdName = (string)crd["metadata"]!["name"]!;
                var group = (string)spec["group"]!;
                var kindName = (string)spec["names"]!["kind"]!;
                var namespaced = (string?)spec["scope"] == "Namespaced";
                foreach (var version in spec["versions"]!.AsArray())
                {
                    // Only v1: the version every cert-manager kind is served and stored as.
                    if ((string?)version!["name"] != "v1")
                    {
                        continue;
                    }

                    var schema = version["schema"]?["openAPIV3Schema"]?.DeepClone()
                        ?? throw new InvalidDataException($"{file}: {crdName} v1 has no openAPIV3Schema");
                    CollectFormats(schema, formats);
                    schema = OpenApiStrictness.Apply(schema, crd: true);

                    // A CRD says only metadata: {type: object}; the API server validates it as ObjectMeta.
                    var properties = schema["properties"]!.AsObject();
                    properties["metadata"] = new JsonObject
                    {
                        ["$ref"] = $"{coreUri}#/components/schemas/{ObjectMetaSchema}",
                        ["description"] = "ObjectMeta, from the core/v1 document (the CRD itself says only type: object)",
                    };

                    var uri = $"{BaseUri}crds/{crdName}/v1";
                    Register(buildOptions, uri, schema, documents);
                    index.TryAdd(new GroupVersionKind(group, "v1", kindName), (uri, "", $"CRD {crdName} v1 in {Path.GetFileName(file)}", namespaced));
                }
            }

            steps.Add(($"{Path.GetFileName(file)} ({new FileInfo(file).Length / 1024} KiB): parse YAML, make strict, register", step.Elapsed));
        }

        var buildStep = Stopwatch.StartNew();
        var kinds = new Dictionary<GroupVersionKind, KindSchema>();
        foreach (var (kind, (uri, pointer, source, namespaced)) in index)
        {
            var wrapper = JsonSchema.FromText(
                new JsonObject { ["$ref"] = $"{uri}#{pointer}" }.ToJsonString(),
                buildOptions,
                new Uri($"{BaseUri}kinds/{(kind.Group.Length == 0 ? "core" : kind.Group)}/{kind.Version}/{kind.Kind}"));
            kinds.Add(kind, new KindSchema(wrapper, source, namespaced, uri, pointer));
        }

        steps.Add(($"build {kinds.Count} kind schemas (resolves every $ref)", buildStep.Elapsed));

        var evaluationOptions = new EvaluationOptions
        {
            OutputFormat = OutputFormat.Hierarchical,
            RequireFormatValidation = true,
            FormatRegistry = KubernetesFormats.Create(formats),
        };

        return new KubernetesSchemas(Path.GetFullPath(referenceDirectory), kinds, documents, evaluationOptions, steps, total.Elapsed);
    }

    /// <summary>
    /// The errors the API server would report for <paramref name="obj"/>; empty when it would accept it.
    /// </summary>
    /// <param name="obj">
    /// A KubernetesClient object (or any object <see cref="KubernetesJson"/> serializes to a Kubernetes object: it is
    /// validated in that exact wire form), a <see cref="JsonNode"/>/<see cref="JsonElement"/>, or a string of YAML or JSON,
    /// which may hold several documents (<c>---</c>). Empty YAML documents are skipped, as kubectl does.
    /// </param>
    public IReadOnlyList<SchemaError> Validate(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var documents = Documents(obj);
        var errors = new List<SchemaError>();
        for (var i = 0; i < documents.Count; i++)
        {
            if (documents[i] is null)
            {
                continue;
            }

            var prefix = documents.Count > 1 ? $"#{i + 1} " : "";
            ValidateDocument(documents[i]!, prefix, errors);
        }

        return errors;
    }

    private static (string Group, string Version) DocumentGroupVersion(string stem)
    {
        // api__v1 -> ("", "v1"); apis__apps__v1 -> ("apps", "v1"); apis__networking.k8s.io__v1 -> ("networking.k8s.io", "v1")
        var parts = stem.Split("__");
        return parts is ["api", var v] ? ("", v)
            : parts is ["apis", var g, var gv] ? (g, gv)
            : throw new InvalidDataException($"Unexpected OpenAPI document name {stem}_openapi.json");
    }

    private static void Register(BuildOptions options, string uri, JsonNode root, Dictionary<string, JsonNode> documents)
    {
        var id = new Uri(uri);
        options.SchemaRegistry.Register(id, new JsonElementBaseDocument(JsonSerializer.SerializeToElement(root), id));
        Materialize(root);
        documents.Add(uri, root);
    }

    /// <summary>
    /// Touches every node once: a parsed <see cref="JsonObject"/> builds its members lazily, which is not safe while
    /// several threads (several doubles in parallel tests) read the same document.
    /// </summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    Materialize(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Materialize(item);
                }

                break;
        }
    }

    private static void CollectFormats(JsonNode node, HashSet<string> formats)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "format" && value is JsonValue v && v.TryGetValue<string>(out var format))
                    {
                        formats.Add(format);
                    }
                    else if (value is not null)
                    {
                        CollectFormats(value, formats);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                {
                    CollectFormats(item, formats);
                }

                break;
        }
    }

    private static IReadOnlyList<JsonNode?> Documents(object obj) => obj switch
    {
        string text => YamlJson.ParseAll(text),
        JsonNode node => [node.DeepClone()],
        JsonElement element => [JsonNode.Parse(element.GetRawText())],
        JsonDocument document => [JsonNode.Parse(document.RootElement.GetRawText())],
        _ => [JsonNode.Parse(KubernetesJson.Serialize(obj))],
    };

    private void ValidateDocument(JsonNode document, string prefix, List<SchemaError> errors)
    {
        if (document is not JsonObject obj)
        {
            errors.Add(new SchemaError(prefix + "(not an object)", "", $"a Kubernetes object must be a JSON object, not {document.GetValueKind()}"));
            return;
        }

        DropNullMembers(obj);
        var apiVersion = obj["apiVersion"] is JsonValue av && av.TryGetValue<string>(out var a) ? a : null;
        var kindName = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var kn) ? kn : null;
        var name = obj["metadata"]?["name"] is JsonValue n && n.TryGetValue<string>(out var nm) ? nm : null;
        var subject = prefix + (kindName ?? "(no kind)") + "/" + (name ?? "(no name)");
        if (apiVersion is null || kindName is null)
        {
            errors.Add(new SchemaError(subject, apiVersion is null ? "/apiVersion" : "/kind",
                "apiVersion and kind are required: the schema is chosen by them, and kubectl needs them in a manifest " +
                "(KubernetesClient objects leave them unset; mind that KubeApiVersion has no group: a Deployment needs " +
                "ApiVersion = \"apps/v1\", while V1Deployment.KubeApiVersion is \"v1\")"));
            return;
        }

        var gvk = GroupVersionKind.Parse(apiVersion, kindName);
        if (!kinds.TryGetValue(gvk, out var schema))
        {
            var sameKind = kinds.Keys.Where(x => x.Kind == kindName).Select(x => x.ApiVersion).ToList();
            var sameGroup = kinds.Keys.Where(x => x.ApiVersion == apiVersion).Select(x => x.Kind).OrderBy(x => x, StringComparer.Ordinal).ToList();
            var hint = sameKind.Count > 0 ? $"{kindName} is known as apiVersion {string.Join(", ", sameKind)}"
                : sameGroup.Count > 0 ? $"kinds of {apiVersion}: {string.Join(", ", sameGroup)}"
                : $"no schema at all for apiVersion {apiVersion}";
            errors.Add(new SchemaError(subject, "", $"no schema for apiVersion {apiVersion}, kind {kindName} ({hint})"));
            return;
        }

        var results = schema.Schema.Evaluate(JsonSerializer.SerializeToElement(obj), evaluationOptions);
        if (!results.IsValid)
        {
            foreach (var (pointer, message) in MergeTypeErrors(Failures(results)))
            {
                errors.Add(new SchemaError(subject, pointer, message));
            }
        }

        foreach (var (pointer, message) in ObjectNames.CheckMetadata(kindName, obj["metadata"]))
        {
            errors.Add(new SchemaError(subject, pointer, message));
        }
    }

    /// <summary>
    /// A JSON null member means "not set" to the API server: Go decodes it as the zero value for built-in kinds, and
    /// null fields of custom resources are pruned before validation. So nulls are removed, not judged.
    /// </summary>
    private static void DropNullMembers(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
                {
                    obj.Remove(key);
                }

                foreach (var (_, value) in obj)
                {
                    DropNullMembers(value!);
                }

                break;
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                {
                    DropNullMembers(item);
                }

                break;
        }
    }

    /// <summary>
    /// The leaf failures of a hierarchical result. A valid node's subtree is skipped, so a failed branch of an
    /// anyOf/oneOf that another branch satisfied is not reported.
    /// </summary>
    private IEnumerable<(string Pointer, string Message)> Failures(EvaluationResults node)
    {
        if (node.IsValid)
        {
            yield break;
        }

        var pointer = node.InstanceLocation.ToString();
        var closedBy = LastSegment(node.EvaluationPath.ToString());
        foreach (var (_, message) in node.Errors ?? new Dictionary<string, string>())
        {
            yield return (pointer, closedBy is "additionalProperties" or "unevaluatedProperties" && message.Contains("false schema", StringComparison.Ordinal)
                ? UnknownField(node, pointer)
                : message);
        }

        foreach (var child in node.Details ?? [])
        {
            foreach (var failure in Failures(child))
            {
                yield return failure;
            }
        }
    }

    /// <summary>
    /// "int or string" fields fail with one type error per branch; said once: <c>should be "integer" or "string"</c>.
    /// </summary>
    private static IEnumerable<(string Pointer, string Message)> MergeTypeErrors(IEnumerable<(string Pointer, string Message)> failures)
    {
        var list = failures.Distinct().ToList();
        var done = new HashSet<int>();
        for (var i = 0; i < list.Count; i++)
        {
            if (done.Contains(i))
            {
                continue;
            }

            var match = TypeError().Match(list[i].Message);
            if (!match.Success)
            {
                yield return list[i];
                continue;
            }

            var expected = new List<string> { match.Groups["expected"].Value };
            for (var j = i + 1; j < list.Count; j++)
            {
                var other = TypeError().Match(list[j].Message);
                if (list[j].Pointer == list[i].Pointer && other.Success && other.Groups["actual"].Value == match.Groups["actual"].Value)
                {
                    expected.Add(other.Groups["expected"].Value);
                    done.Add(j);
                }
            }

            yield return expected.Count == 1
                ? list[i]
                : (list[i].Pointer, $"Value is {match.Groups["actual"].Value} but should be {string.Join(" or ", expected)}");
        }
    }

    /// <summary>
    /// "unknown field "x"" instead of JsonSchema.Net's "All values fail against the false schema", naming the schema
    /// and the nearest known field.
    /// </summary>
    private string UnknownField(EvaluationResults node, string pointer)
    {
        var field = LastSegment(pointer);
        var location = node.SchemaLocation;
        var documentUri = location.GetLeftPart(UriPartial.Query);
        if (!documents.TryGetValue(documentUri, out var schema))
        {
            return $"unknown field \"{field}\"";
        }

        // The reported schema location is not always an exact pointer (JsonSchema.Net appends instance segments in
        // places), so walk it leniently: follow the segments that exist, skip those that do not, stop at the keyword
        // that closed the object.
        var walked = new List<string>();
        foreach (var segment in Uri.UnescapeDataString(location.Fragment.TrimStart('#')).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment is "additionalProperties" or "unevaluatedProperties")
            {
                break;
            }

            if (schema is JsonObject obj && obj[segment] is JsonNode next)
            {
                walked.Add(segment);
                schema = next;
            }
        }

        // Kubernetes documents: the component's name (io.k8s.api.core.v1.Secret). CRDs: the CRD and the field path.
        var owner = walked is ["components", "schemas", var component, ..]
            ? component
            : $"{documentUri.Split('/')[^2]} {FieldPath(walked)}".TrimEnd();
        var known = (schema as JsonObject)?["properties"] as JsonObject;
        var suggestion = known is null ? null : Spelling.Nearest(field, known.Select(k => k.Key));
        return $"unknown field \"{field}\" in {owner}{(suggestion is null ? "" : $" (did you mean \"{suggestion}\"?)")}";
    }

    private static string LastSegment(string pointer) =>
        pointer[(pointer.LastIndexOf('/') + 1)..].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    /// <summary><c>properties/spec/properties/solvers/items/properties/http01</c> as <c>.spec.solvers[].http01</c>.</summary>
    private static string FieldPath(List<string> walked)
    {
        var path = new System.Text.StringBuilder();
        for (var i = 0; i < walked.Count; i++)
        {
            if (walked[i] == "properties" && i + 1 < walked.Count)
            {
                path.Append('.').Append(walked[++i]);
            }
            else if (walked[i] == "items")
            {
                path.Append("[]");
            }
        }

        return path.ToString();
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Value is (?<actual>\"[a-z]+\") but should be (?<expected>\"[a-z]+\")\\z")]
    private static partial System.Text.RegularExpressions.Regex TypeError();

    private sealed record KindSchema(JsonSchema Schema, string Source, bool? Namespaced, string DocumentUri, string Pointer);

    /// <summary>The (strict) schema of a kind as JSON, for walking field by field; null for an unknown kind.</summary>
    internal SchemaCursor? Root(GroupVersionKind kind) =>
        kinds.TryGetValue(kind, out var schema) ? SchemaCursor.At(this, schema.DocumentUri, schema.Pointer) : null;

    /// <summary>The node at <paramref name="pointer"/> in a registered document, or null.</summary>
    internal JsonNode? Node(string documentUri, string pointer)
    {
        if (!documents.TryGetValue(documentUri, out var node))
        {
            return null;
        }

        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = (node as JsonObject)?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

}
