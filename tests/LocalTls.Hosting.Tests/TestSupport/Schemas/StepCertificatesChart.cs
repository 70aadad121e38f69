using System.Text.Json.Nodes;

namespace LocalTls.Tests.TestSupport.Schemas;

/// <summary>
/// The smallstep step-certificates Helm chart's default values (reference copy of chart 1.30.0's values.yaml), and a
/// check of our values against them. The chart ships no values.schema.json and Helm silently ignores keys a chart
/// does not read, so a misspelt key would simply do nothing; this catches it.
/// </summary>
public static class StepCertificatesChart
{
    /// <summary>Subject of the errors <see cref="ValidateChartValues"/> returns.</summary>
    public const string Subject = "step-certificates values";

    /// <summary>
    /// Keys under which the chart accepts anything: it hands them to <c>toYaml</c>/<c>range</c> whole (maps of
    /// labels, annotations, pod and container security contexts, scheduling, resources, and the step-ca
    /// configuration files and templates that <c>inject</c> writes). Read off the chart's templates.
    /// </summary>
    public static readonly IReadOnlySet<string> OpenKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "inject.config.files",
        "inject.config.templates",
        "podExtraLabels",
        "podSecurityContext",
        "bootstrap.containerSecurityContext",
        "ca.init.containerSecurityContext",
        "ca.containerSecurityContext",
        "resources",
        "nodeSelector",
        "affinity",
        "service.annotations",
        "ingress.annotations",
        "serviceaccount.labels",
        "serviceaccount.annotations",
    };

    /// <summary>
    /// Keys the chart's templates read that values.yaml leaves out (commented out, or never mentioned), so they are
    /// valid too. Their content is not checked.
    /// </summary>
    public static readonly IReadOnlySet<string> KeysOnlyInTemplates = new HashSet<string>(StringComparer.Ordinal)
    {
        "image.imagePullSecrets",
        "bootstrap.image.imagePullSecrets",
        "ca.db.existingClaim",
    };

    private static readonly Lazy<JsonObject> Defaults = new(
        () => YamlJson.ParseFile(ReferenceFiles.PathTo("step-certificates-chart", "values.yaml")) as JsonObject
            ?? throw new InvalidDataException("step-certificates-chart/values.yaml is not a YAML mapping"),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The chart's values.yaml as JSON (a fresh copy each call). Skips the calling test, or fails it under CI, when
    /// the reference files are missing.
    /// </summary>
    public static JsonObject LoadDefaultValues()
    {
        ReferenceFiles.Require();
        return (JsonObject)Defaults.Value.DeepClone();
    }

    /// <summary>
    /// Every key in <paramref name="values"/> that the chart does not have, and every value whose shape (map, list,
    /// scalar) differs from the chart's default. Lists are not looked into (their items are free-form: containers,
    /// volumes, hosts); nor are <see cref="OpenKeys"/>; a key whose default is null may hold anything.
    /// </summary>
    public static IReadOnlyList<SchemaError> ValidateChartValues(JsonNode values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<SchemaError>();
        if (values is not JsonObject obj)
        {
            errors.Add(new SchemaError(Subject, "", $"values must be a map, not {values.GetValueKind()}"));
            return errors;
        }

        Compare(obj, LoadDefaultValues(), "", "", errors);
        return errors;
    }

    private static void Compare(JsonObject ours, JsonObject chart, string path, string pointer, List<SchemaError> errors)
    {
        foreach (var (key, value) in ours)
        {
            var keyPath = path.Length == 0 ? key : $"{path}.{key}";
            var keyPointer = $"{pointer}/{key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}";
            if (OpenKeys.Contains(keyPath) || KeysOnlyInTemplates.Contains(keyPath))
            {
                continue;
            }

            if (!chart.TryGetPropertyValue(key, out var defaultValue))
            {
                var suggestion = Spelling.Nearest(key, chart.Select(p => p.Key));
                errors.Add(new SchemaError(Subject, keyPointer,
                    $"unknown key {keyPath}: the chart has no such value, so Helm would ignore it" +
                    (suggestion is null ? "" : $" (did you mean \"{suggestion}\"?)")));
                continue;
            }

            if (defaultValue is null || value is null)
            {
                continue; // a null default says nothing about the type; a null of ours means "use the default"
            }

            var (mine, theirs) = (Shape(value), Shape(defaultValue));
            if (mine != theirs)
            {
                errors.Add(new SchemaError(Subject, keyPointer, $"{keyPath} is a {theirs} in the chart, not a {mine}"));
            }
            else if (value is JsonObject nested)
            {
                Compare(nested, (JsonObject)defaultValue, keyPath, keyPointer, errors);
            }
        }
    }

    private static string Shape(JsonNode node) => node switch
    {
        JsonObject => "map",
        JsonArray => "list",
        _ => "scalar",
    };
}
