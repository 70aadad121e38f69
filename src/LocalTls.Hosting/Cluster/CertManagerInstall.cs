using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace LocalTls.Cluster;

/// <summary>cert-manager could not be installed; the message says why and the command that installs it by hand.</summary>
/// <param name="message">What happened and what to do.</param>
/// <param name="refused">Whether the API server refused a document (rather than the download failing).</param>
internal sealed class CertManagerInstallException(string message, bool refused) : Exception(message)
{
    public bool Refused { get; } = refused;
}

/// <summary>
/// <c>WithCertManagerInstall(version)</c>: the upstream static manifest of that cert-manager release, downloaded at run
/// time (nothing of it is kept), applied document by document with server-side apply; each kind is found through API
/// discovery (its resource name and whether it is namespaced), so any kind the release ships applies the same way.
/// </summary>
internal static partial class CertManagerInstall
{
    /// <summary>The release LocalTls is tested against (its CRDs are the reference schemas).</summary>
    public const string DefaultVersion = "1.21.1";

    /// <summary>Where releases are downloaded from; tests point it at a loopback server.</summary>
    internal static Uri ReleasesBaseUri { get; set; } = new("https://github.com/cert-manager/cert-manager/releases/download/");

    /// <summary>How long one download may take.</summary>
    internal static TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+(?:-(?:alpha|beta|rc)\.[0-9]+)?$")]
    private static partial Regex VersionFormat();

    /// <summary>A release version as cert-manager tags it, without the <c>v</c>: <c>1.21.1</c>, <c>1.22.0-beta.0</c>.</summary>
    /// <exception cref="ArgumentException">Not such a version; the message says what to write.</exception>
    public static string RequireVersion(string? version, string? paramName) =>
        version is not null && VersionFormat().IsMatch(version)
            ? version
            : throw new ArgumentException(
                version is not null && version.StartsWith('v') && VersionFormat().IsMatch(version[1..])
                    ? $"Write the cert-manager version without the 'v': \"{version[1..]}\"."
                    : $"'{version}' is not a cert-manager release version: write it as on the releases page without the 'v', e.g. \"{DefaultVersion}\".",
                paramName);

    /// <summary>The static manifest of a release.</summary>
    public static Uri ManifestUrl(string version) => new(ReleasesBaseUri, $"v{version}/cert-manager.yaml");

    /// <summary>The one command that installs a release by hand.</summary>
    public static string Command(string version) => $"kubectl apply -f {ManifestUrl(version)}";

    /// <summary>Downloads the release's manifest.</summary>
    /// <exception cref="CertManagerInstallException">The download failed (offline, not found); the message says so and gives the command.</exception>
    public static async Task<string> DownloadAsync(string version, CancellationToken cancellationToken)
    {
        var url = ManifestUrl(version);
        using var http = new HttpClient { Timeout = DownloadTimeout };
        string reason;
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadAsStringAsync(cancellationToken);
            }

            reason = response.StatusCode == HttpStatusCode.NotFound
                ? $"{url} answered 404: there is no cert-manager release v{version}; pick one from https://github.com/cert-manager/cert-manager/releases."
                : $"{url} answered {(int)response.StatusCode} ({response.ReasonPhrase}).";
        }
        catch (HttpRequestException ex)
        {
            reason = $"{url} could not be reached ({ex.Message}); is this machine offline?";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            reason = $"{url} did not answer within {DownloadTimeout.TotalSeconds:0} s; is this machine offline?";
        }

        throw new CertManagerInstallException($"cert-manager v{version} could not be downloaded: {reason} LocalTls tries again every few seconds; or install it yourself: {Command(version)}", refused: false);
    }

    /// <summary>
    /// Why not to install: cert-manager is there and was not installed by LocalTls (a Helm or kubectl install is its
    /// owner's to upgrade), or LocalTls's install already answers. <see langword="null"/>: install (none yet, or
    /// LocalTls's own install is not answering yet, which applying again resumes).
    /// </summary>
    public static async Task<string?> SkipReasonAsync(IKubernetes client, string version, CancellationToken cancellationToken)
    {
        V1CustomResourceDefinition crd;
        try
        {
            crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("certificates.cert-manager.io", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (crd.Metadata.ManagedFields?.Any(f => f.Manager == ClusterTarget.FieldManager) != true)
        {
            return $"already installed, not by LocalTls: v{version} not applied (upgrade it the way it was installed)";
        }

        return await ClusterTarget.CertManagerProblemAsync(client, cancellationToken) is null
            ? $"already installed and answering: v{version} not applied"
            : null;
    }

    /// <summary>One document of the manifest: what it is, and its JSON as the apply body.</summary>
    internal sealed record Document(string ApiVersion, string Kind, string Name, string? Namespace, string Json);

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex YamlInteger();

    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlFloat();

    /// <summary>
    /// A YAML node as JSON with YAML 1.2's core schema: plain scalars are null, booleans and numbers when they read so,
    /// quoted and block scalars are strings.
    /// </summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: not YamlDotNet.Core.ScalarStyle.Plain } quoted => JsonValue.Create(quoted.Value ?? ""),
        YamlScalarNode { Value: null or "" or "~" or "null" or "Null" or "NULL" } => null,
        YamlScalarNode { Value: "true" or "True" or "TRUE" } => JsonValue.Create(true),
        YamlScalarNode { Value: "false" or "False" or "FALSE" } => JsonValue.Create(false),
        YamlScalarNode plain when YamlInteger().IsMatch(plain.Value!) && long.TryParse(plain.Value, System.Globalization.CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
        YamlScalarNode plain when YamlFloat().IsMatch(plain.Value!) && double.TryParse(plain.Value, System.Globalization.CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlScalarNode plain => JsonValue.Create(plain.Value),
        _ => throw new CertManagerInstallException($"A YAML alias or unknown node at {node.Start} is not supported in a manifest.", refused: false),
    };

    /// <summary>The manifest's documents, in order; empty ones (comments only) are left out.</summary>
    /// <exception cref="CertManagerInstallException">The text is not YAML, or a document has no apiVersion, kind or name.</exception>
    public static IReadOnlyList<Document> Parse(string manifest, string version)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(manifest));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new CertManagerInstallException($"The cert-manager v{version} manifest is not YAML ({ex.Message}). Install it yourself: {Command(version)}", refused: false);
        }

        var documents = new List<Document>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root || root.Children.Count == 0)
            {
                continue;
            }

            static string? Scalar(YamlMappingNode node, string key) =>
                node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

            var metadata = root.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) ? m as YamlMappingNode : null;
            var apiVersion = Scalar(root, "apiVersion");
            var kind = Scalar(root, "kind");
            var name = metadata is null ? null : Scalar(metadata, "name");
            if (apiVersion is null || kind is null || name is null)
            {
                throw new CertManagerInstallException($"A document of the cert-manager v{version} manifest has no apiVersion, kind or metadata.name (document {documents.Count + 1}). Install it yourself: {Command(version)}", refused: false);
            }

            documents.Add(new Document(apiVersion, kind, name, metadata is null ? null : Scalar(metadata, "namespace"), ToJson(root)!.ToJsonString()));
        }

        return documents;
    }

    /// <summary>
    /// Applies every document with server-side apply (field manager <c>localtls</c>), in the manifest's order (its
    /// Namespace and CRDs come first). Kinds are resolved through discovery, once per group/version.
    /// </summary>
    /// <returns>How many objects were applied.</returns>
    /// <exception cref="CertManagerInstallException">The API server refused a document; the message names it and gives its answer.</exception>
    public static async Task<int> ApplyAsync(IKubernetes client, IReadOnlyList<Document> documents, string version, CancellationToken cancellationToken)
    {
        var discovered = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            var (group, groupVersion) = ClusterTarget.SplitApiVersion(document.ApiVersion);
            var what = $"{document.Kind} {(document.Namespace is null ? "" : document.Namespace + "/")}{document.Name}";
            try
            {
                if (!discovered.TryGetValue(document.ApiVersion, out var resources))
                {
                    // The APIResourceList at /api/v1 or /apis/{group}/{version}, as kubectl's discovery reads it.
                    string list;
                    using (var response = await KubernetesHttp.GetAsync(client, group.Length == 0 ? $"api/{groupVersion}" : $"apis/{group}/{groupVersion}", HttpCompletionOption.ResponseContentRead, cancellationToken))
                    {
                        if (response.StatusCode == HttpStatusCode.NotFound)
                        {
                            throw new CertManagerInstallException($"The API server does not serve {document.ApiVersion}, which cert-manager v{version} needs ({what}). Is the cluster's Kubernetes too old for this release?", refused: true);
                        }

                        response.EnsureSuccessStatusCode();
                        list = await response.Content.ReadAsStringAsync(cancellationToken);
                    }

                    resources = JsonNode.Parse(list)?["resources"] as JsonArray ?? [];
                    discovered[document.ApiVersion] = resources;
                }

                var resource = resources.FirstOrDefault(r => (string?)r?["kind"] == document.Kind && ((string?)r?["name"])?.Contains('/') == false)
                    ?? throw new CertManagerInstallException($"The API server does not serve {document.Kind} in {document.ApiVersion}, which cert-manager v{version} needs ({what}). Is the cluster's Kubernetes too old for this release?", refused: true);
                var plural = (string)resource["name"]!;
                var patch = new V1Patch(document.Json, V1Patch.PatchType.ApplyPatch);
                if ((bool?)resource["namespaced"] == true)
                {
                    await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, group, groupVersion, document.Namespace ?? "default", plural, document.Name, fieldManager: ClusterTarget.FieldManager, cancellationToken: cancellationToken);
                }
                else
                {
                    await client.CustomObjects.PatchClusterCustomObjectAsync(patch, group, groupVersion, plural, document.Name, fieldManager: ClusterTarget.FieldManager, cancellationToken: cancellationToken);
                }
            }
            catch (HttpOperationException ex) when ((int)ex.Response.StatusCode is >= 400 and < 500 and not 429)
            {
                throw new CertManagerInstallException($"The API server refused {what} of cert-manager v{version}: {(int)ex.Response.StatusCode} {ClusterTarget.StatusMessage(ex.Response.Content)}. Fix what it names, or install it yourself: {Command(version)}", refused: true);
            }
        }

        return documents.Count;
    }
}
