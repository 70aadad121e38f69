using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble;

/// <summary>The discovery documents (legacy, not aggregated: kubectl and KubernetesClient fall back to these).</summary>
internal static class Discovery
{
    public const string Major = "1";
    public const string Minor = "35";
    public const string GitVersion = "v1.35.0";

    public static JsonObject Version() => new()
    {
        ["major"] = Major,
        ["minor"] = Minor,
        ["emulationMajor"] = Major,
        ["emulationMinor"] = Minor,
        ["minCompatibilityMajor"] = Major,
        ["minCompatibilityMinor"] = "34",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "localtls-kube-api-double",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-12-17T00:00:00Z",
        ["goVersion"] = "go1.25.5",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string hostAndPort) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = hostAndPort }),
    };

    public static JsonObject Groups(IEnumerable<ResourceType> types)
    {
        var groups = new JsonArray();
        foreach (var group in types.Where(t => t.Group.Length > 0).GroupBy(t => t.Group))
        {
            var versions = new JsonArray();
            foreach (var version in group.Select(t => t.Version).Distinct())
            {
                versions.Add(new JsonObject { ["groupVersion"] = $"{group.Key}/{version}", ["version"] = version });
            }

            groups.Add(new JsonObject
            {
                ["name"] = group.Key,
                ["versions"] = versions,
                ["preferredVersion"] = versions[0]!.DeepClone(),
            });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject Resources(string group, string version, IEnumerable<ResourceType> types)
    {
        var matching = types.Where(t => t.Group == group && t.Version == version).ToList();
        if (matching.Count == 0)
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        var resources = new JsonArray();
        foreach (var type in matching)
        {
            var resource = new JsonObject
            {
                ["name"] = type.Plural,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = new JsonArray([.. ResourceType.Verbs.Select(v => (JsonNode)v)]),
            };
            if (type.ShortNames.Count > 0)
            {
                resource["shortNames"] = new JsonArray([.. type.ShortNames.Select(v => (JsonNode)v)]);
            }

            resources.Add(resource);
            if (type.Kind == "Pod")
            {
                resources.Add(new JsonObject
                {
                    ["name"] = "pods/log",
                    ["singularName"] = "",
                    ["namespaced"] = true,
                    ["kind"] = "Pod",
                    ["verbs"] = new JsonArray("get"),
                });
            }

            if (type.HasScale)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = type.Plural + "/scale",
                    ["singularName"] = "",
                    ["namespaced"] = type.Namespaced,
                    ["group"] = "autoscaling",
                    ["version"] = "v1",
                    ["kind"] = "Scale",
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }

            if (type.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = type.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = type.Namespaced,
                    ["kind"] = type.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }
}
