using System.Text;
using System.Text.Json;

namespace LocalTls.Diagnostics;

/// <summary>Findings as a person reads them (text, the dashboard's Markdown) and as a script reads them (JSON, stable field names and order).</summary>
internal static class FindingReport
{
    public static string Severity(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Error => "error",
        FindingSeverity.Warning => "warning",
        _ => "info",
    };

    public static string Text(IReadOnlyList<Finding> findings, string where)
    {
        if (findings.Count == 0)
        {
            return $"No problems found in {where}.\n";
        }

        var text = new StringBuilder();
        foreach (var finding in findings)
        {
            text.Append(Severity(finding.Severity).ToUpperInvariant()).Append(' ').Append(finding.Code).Append(": ").Append(finding.Object).Append('\n');
            text.Append("  ").Append(finding.Summary).Append('\n');
            foreach (var line in finding.Evidence)
            {
                text.Append("  | ").Append(line).Append('\n');
            }

            text.Append("  fix: ").Append(finding.Remedy).Append("\n\n");
        }

        var action = findings.Count(f => f.NeedsAction);
        text.Append(action == 0 ? $"Nothing needs action in {where}.\n" : $"{action} finding{(action == 1 ? "" : "s")} need{(action == 1 ? "s" : "")} action in {where}.\n");
        return text.ToString();
    }

    public static string Markdown(IReadOnlyList<Finding> findings)
    {
        var text = new StringBuilder();
        foreach (var finding in findings)
        {
            text.Append("### ").Append(Severity(finding.Severity)).Append(": ").Append(finding.Code).Append(" (").Append(finding.Object).Append(")\n\n");
            text.Append(finding.Summary).Append("\n\n");
            foreach (var line in finding.Evidence)
            {
                text.Append("- `").Append(line.Replace("`", "'", StringComparison.Ordinal)).Append("`\n");
            }

            text.Append("\n**Fix:** ").Append(finding.Remedy).Append("\n\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// <c>{"server","context","needsAction","findings":[{"code","severity","object":{"kind","namespace","name"},"summary","evidence":[],"remedy"}]}</c>,
    /// findings sorted by severity, code and object.
    /// </summary>
    public static string Json(IReadOnlyList<Finding> findings, string server, string context)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("server", server);
            json.WriteString("context", context);
            json.WriteBoolean("needsAction", findings.Any(f => f.NeedsAction));
            json.WriteStartArray("findings");
            foreach (var finding in findings)
            {
                json.WriteStartObject();
                json.WriteString("code", finding.Code);
                json.WriteString("severity", Severity(finding.Severity));
                json.WriteStartObject("object");
                json.WriteString("kind", finding.Object.Kind);
                json.WriteString("namespace", finding.Object.Namespace);
                json.WriteString("name", finding.Object.Name);
                json.WriteEndObject();
                json.WriteString("summary", finding.Summary);
                json.WriteStartArray("evidence");
                foreach (var line in finding.Evidence)
                {
                    json.WriteStringValue(line);
                }

                json.WriteEndArray();
                json.WriteString("remedy", finding.Remedy);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
