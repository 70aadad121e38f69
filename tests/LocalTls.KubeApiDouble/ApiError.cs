using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// A failure answered as the API server answers it: a <c>Status</c> object (apiVersion v1, status Failure) with the
/// message, reason, details and code the real server writes (k8s.io/apimachinery/pkg/api/errors).
/// </summary>
public sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Details is not null)
        {
            status["details"] = Details.DeepClone();
        }

        status["code"] = Code;
        return status;
    }

    private static JsonObject ResourceDetails(ResourceType type, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        return details;
    }

    public static ApiError NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedResource} \"{name}\" not found", ResourceDetails(type, name));

    public static ApiError NamespaceNotFound(string name) =>
        new(404, "NotFound", $"namespaces \"{name}\" not found", new JsonObject { ["name"] = name, ["kind"] = "namespaces" });

    public static ApiError AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedResource} \"{name}\" already exists", ResourceDetails(type, name));

    public static ApiError StaleResourceVersion(ResourceType type, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            ResourceDetails(type, name));

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {contentType})");

    /// <summary>422 Invalid: <c>Kind "name" is invalid: [field: message, ...]</c> with one cause per error.</summary>
    public static ApiError Invalid(string qualifiedKind, string? group, string kind, string name, IReadOnlyList<(string Field, string Reason, string Message)> causes)
    {
        var list = new JsonArray();
        foreach (var (field, reason, message) in causes)
        {
            list.Add(new JsonObject { ["reason"] = reason, ["message"] = message, ["field"] = field });
        }

        var details = new JsonObject();
        if (name.Length > 0)
        {
            details["name"] = name;
        }

        if (!string.IsNullOrEmpty(group))
        {
            details["group"] = group;
        }

        details["kind"] = kind;
        details["causes"] = list;
        var text = causes.Count == 1
            ? $"{causes[0].Field}: {causes[0].Message}"
            : "[" + string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}")) + "]";
        return new ApiError(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {text}", details);
    }

    /// <summary>
    /// 409 Conflict with one <c>FieldManagerConflict</c> cause per field, worded as the API server words it:
    /// <c>Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.key</c>.
    /// </summary>
    internal static ApiError ApplyConflict(IReadOnlyList<Apply.FieldConflict> conflicts, IReadOnlyList<Apply.ManagedEntry> entries)
    {
        string Manager(Apply.FieldConflict c)
        {
            var entry = entries.FirstOrDefault(e => e.Manager == c.Manager && e.ApiVersion == c.ApiVersion);
            var text = $"\"{c.Manager}\"";
            if (entry?.Subresource is { } subresource)
            {
                text += $" with subresource \"{subresource}\"";
            }

            return entry?.Operation == "Update" ? $"{text} using {c.ApiVersion}" : text;
        }

        var causes = new JsonArray();
        foreach (var conflict in conflicts)
        {
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with {Manager(conflict)}",
                ["field"] = Apply.FieldPaths.Describe(conflict.Path),
            });
        }

        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {Manager(conflicts[0])}: {Apply.FieldPaths.Describe(conflicts[0].Path)}";
        }
        else
        {
            message = $"Apply failed with {conflicts.Count} conflicts:";
            foreach (var group in conflicts.GroupBy(Manager).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var paths = group.Select(c => Apply.FieldPaths.Describe(c.Path)).ToList();
                message += $" conflicts with {group.Key}" + (paths.Count == 1 ? $": {paths[0]}" : ":" + string.Concat(paths.Select(p => $"\n- {p}")));
            }
        }

        return new ApiError(409, "Conflict", message, new JsonObject { ["causes"] = causes });
    }

    public static ApiError Expired(long requested, long oldest) =>
        new(410, "Expired", $"too old resource version: {requested} ({oldest})");
}
