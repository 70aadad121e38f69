using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// A reader of the Corefile subset LocalTls writes, by CoreDNS's documented syntax (corefile(5): server keys, then a
/// block of directives, one a line, a directive's own block in braces; tokens split on white space, "double quotes"
/// group one, # starts a comment), and an evaluator of the <c>template</c> plugin as plugin/template/template.go
/// answers: templates in order, zone, class and type first, then the first matching regex; no regex matched ends in
/// NXDOMAIN unless <c>fallthrough</c>; no template for the type passes to the next plugin (none here: SERVFAIL).
/// No CoreDNS runs here, so this is what the block is checked against.
/// </summary>
internal sealed partial class Corefile
{
    public sealed record Directive(string Name, IReadOnlyList<string> Args, IReadOnlyList<Directive> Block);

    public sealed record ServerBlock(IReadOnlyList<string> Keys, IReadOnlyList<Directive> Directives)
    {
        public IEnumerable<string> Zones => Keys.Select(k => k.Split(':')[0]);
    }

    public required IReadOnlyList<ServerBlock> Servers { get; init; }

    private static readonly string[] Rcodes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

    public static Corefile Parse(string text)
    {
        var lines = Tokenize(text);
        var position = 0;
        var servers = new List<ServerBlock>();
        while (position < lines.Count)
        {
            var line = lines[position++];
            if (line[^1] != "{" || line.Count < 2)
            {
                throw new FormatException($"A server block starts with its keys and '{{': {string.Join(' ', line)}");
            }

            foreach (var key in line.Take(line.Count - 1))
            {
                var parts = key.Split(':');
                if (parts.Length > 2 || !Regex.IsMatch(parts[0], @"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.?$|^\.$") || (parts.Length == 2 && !int.TryParse(parts[1], out _)))
                {
                    throw new FormatException($"'{key}' is not a server key (zone[:port]).");
                }
            }

            servers.Add(new ServerBlock(line.Take(line.Count - 1).ToList(), ReadBlock(lines, ref position)));
        }

        var corefile = new Corefile { Servers = servers };
        corefile.Check();
        return corefile;
    }

    private static List<Directive> ReadBlock(List<List<string>> lines, ref int position)
    {
        var directives = new List<Directive>();
        while (true)
        {
            if (position >= lines.Count)
            {
                throw new FormatException("A block is not closed with '}'.");
            }

            var line = lines[position++];
            if (line is ["}"])
            {
                return directives;
            }

            if (line.Contains("{") && line[^1] != "{" || line.Contains("}"))
            {
                throw new FormatException($"Braces belong at the end of a line or alone: {string.Join(' ', line)}");
            }

            directives.Add(line[^1] == "{"
                ? new Directive(line[0], line.Skip(1).Take(line.Count - 2).ToList(), ReadBlock(lines, ref position))
                : new Directive(line[0], line.Skip(1).ToList(), []));
        }
    }

    /// <summary>Lines of tokens: white space splits, "quotes" group (\" inside is a quote), # to the end of the line is a comment.</summary>
    private static List<List<string>> Tokenize(string text)
    {
        var lines = new List<List<string>>();
        foreach (var raw in text.Split('\n'))
        {
            var tokens = new List<string>();
            var token = new StringBuilder();
            var quoted = false;
            var inToken = false;
            for (var i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (quoted)
                {
                    if (c == '\\' && i + 1 < raw.Length && raw[i + 1] == '"')
                    {
                        token.Append('"');
                        i++;
                    }
                    else if (c == '"')
                    {
                        quoted = false;
                    }
                    else
                    {
                        token.Append(c);
                    }

                    continue;
                }

                if (c == '#' && !inToken)
                {
                    break;
                }

                if (char.IsWhiteSpace(c))
                {
                    if (inToken)
                    {
                        tokens.Add(token.ToString());
                        token.Clear();
                        inToken = false;
                    }

                    continue;
                }

                inToken = true;
                if (c == '"')
                {
                    quoted = true;
                }
                else
                {
                    token.Append(c);
                }
            }

            if (quoted)
            {
                throw new FormatException($"Unclosed quote: {raw}");
            }

            if (inToken)
            {
                tokens.Add(token.ToString());
            }

            if (tokens.Count > 0)
            {
                lines.Add(tokens);
            }
        }

        return lines;
    }

    /// <summary>The plugins and properties used, as CoreDNS's docs define them (errors; template's CLASS TYPE [ZONE...] and its block).</summary>
    private void Check()
    {
        foreach (var server in Servers)
        {
            foreach (var directive in server.Directives)
            {
                switch (directive.Name)
                {
                    case "errors":
                        Require(directive.Args.Count == 0 && directive.Block.Count == 0, "errors takes no arguments here");
                        break;
                    case "template":
                        Require(directive.Args.Count >= 2, "template CLASS TYPE [ZONE...]");
                        Require(directive.Args[0] is "IN" or "CH" or "ANY", $"unknown class {directive.Args[0]}");
                        Require(directive.Args[1] is "A" or "AAAA" or "TXT" or "ANY" or "SOA" or "NS", $"unknown type {directive.Args[1]}");
                        foreach (var zone in directive.Args.Skip(2))
                        {
                            Require(server.Zones.Any(z => zone == z || zone.EndsWith("." + z, StringComparison.Ordinal)), $"template zone {zone} is outside the server block's zones");
                        }

                        foreach (var property in directive.Block)
                        {
                            switch (property.Name)
                            {
                                case "match":
                                    Require(property.Args.Count >= 1, "match REGEX...");
                                    property.Args.ToList().ForEach(CheckRe2);
                                    break;
                                case "answer" or "additional" or "authority":
                                    Require(property.Args.Count == 1, $"{property.Name} takes one quoted RR");
                                    CheckTemplate(property.Args[0]);
                                    break;
                                case "rcode":
                                    Require(property.Args.Count == 1 && Rcodes.Contains(property.Args[0]), $"rcode {string.Join(' ', property.Args)}");
                                    break;
                                case "fallthrough":
                                    break;
                                default:
                                    throw new FormatException($"template has no property '{property.Name}'");
                            }
                        }

                        Require(directive.Block.Any(p => p.Name is "answer" or "rcode"), "a template needs an answer or an rcode");
                        break;
                    default:
                        throw new FormatException($"unexpected plugin '{directive.Name}'");
                }
            }
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new FormatException(message);
        }
    }

    /// <summary>
    /// Go's regexp is RE2: no lookaround, atomic groups, possessive quantifiers or backreferences; named groups as
    /// (?P&lt;name&gt;). Caddy would also read {$NAME} as an environment variable.
    /// </summary>
    public static void CheckRe2(string pattern)
    {
        foreach (var construct in new[] { "(?=", "(?!", "(?<=", "(?<!", "(?>", "(?<", "(?'", "\\k", "*+", "++", "?+", "}+", "{$" })
        {
            Require(!pattern.Contains(construct, StringComparison.Ordinal), $"'{construct}' is not RE2 (or not for Caddy): {pattern}");
        }

        Require(!BackReference().IsMatch(pattern), $"backreferences are not RE2: {pattern}");
        _ = ToDotNet(pattern);
    }

    /// <summary>The same pattern for .NET's engine, which has the same leftmost-first submatch semantics for these constructs.</summary>
    public static Regex ToDotNet(string pattern) => new(pattern.Replace("(?P<", "(?<", StringComparison.Ordinal), RegexOptions.CultureInvariant);

    [GeneratedRegex(@"\\[1-9]")]
    private static partial Regex BackReference();

    [GeneratedRegex(@"\{\{(.*?)\}\}")]
    private static partial Regex Action();

    private static void CheckTemplate(string template)
    {
        Require(!template.Contains("{{$", StringComparison.Ordinal), "'{{$' is read by Caddy as an environment variable");
        foreach (Match action in Action().Matches(template))
        {
            var body = action.Groups[1].Value.Trim();
            Require(
                body is ".Name" or "else" or "end" || Regex.IsMatch(body, @"^\.Group\.[a-z]+$") || Regex.IsMatch(body, @"^if eq \.Group\.[a-z]+ `[^`]*`$"),
                $"template action '{{{{{action.Groups[1].Value}}}}}' is outside what this evaluator knows");
        }
    }

    /// <summary>What a template action produces for the data (Go text/template, for the actions <see cref="CheckTemplate"/> admits).</summary>
    public static string Render(string template, string name, IReadOnlyDictionary<string, string> groups)
    {
        var output = new StringBuilder();
        var emitting = new Stack<(bool Outer, bool Branch)>();
        var on = true;
        var position = 0;
        foreach (Match action in Action().Matches(template))
        {
            if (on)
            {
                output.Append(template, position, action.Index - position);
            }

            position = action.Index + action.Length;
            var body = action.Groups[1].Value.Trim();
            if (body.StartsWith("if eq ", StringComparison.Ordinal))
            {
                var parts = body.Split(' ');
                var left = groups.GetValueOrDefault(parts[2][".Group.".Length..], "");
                var right = parts[3].Trim('`');
                emitting.Push((on, left == right));
                on = on && left == right;
            }
            else if (body == "else")
            {
                var (outer, branch) = emitting.Peek();
                on = outer && !branch;
            }
            else if (body == "end")
            {
                on = emitting.Pop().Outer;
            }
            else if (on)
            {
                output.Append(body == ".Name" ? name : groups.GetValueOrDefault(body[".Group.".Length..], ""));
            }
        }

        output.Append(template, position, template.Length - position);
        return output.ToString();
    }

    public sealed record Answer(string Rcode, IPAddress? Address);

    /// <summary>The answer to one question, as CoreDNS would give it with these server blocks.</summary>
    public Answer Resolve(string queryName, string type)
    {
        var name = queryName.ToLowerInvariant().TrimEnd('.') + ".";
        var server = Servers
            .SelectMany(s => s.Zones.Select(z => (Server: s, Zone: z.TrimEnd('.') + ".")))
            .Where(x => name == x.Zone || name.EndsWith("." + x.Zone, StringComparison.Ordinal))
            .OrderByDescending(x => x.Zone.Length)
            .Select(x => x.Server)
            .FirstOrDefault() ?? throw new InvalidOperationException($"No server block for {name}.");

        foreach (var template in server.Directives.Where(d => d.Name == "template"))
        {
            var zones = template.Args.Count > 2 ? template.Args.Skip(2) : server.Zones;
            if (!zones.Any(z => name == z.TrimEnd('.') + "." || name.EndsWith("." + z.TrimEnd('.') + ".", StringComparison.Ordinal)))
            {
                continue;
            }

            if (template.Args[0] is not ("ANY" or "IN") || (template.Args[1] != "ANY" && template.Args[1] != type))
            {
                continue;
            }

            var patterns = template.Block.Where(p => p.Name == "match").SelectMany(p => p.Args).DefaultIfEmpty(".*");
            var matched = false;
            foreach (var pattern in patterns)
            {
                var regex = ToDotNet(pattern);
                var match = regex.Match(name);
                if (!match.Success)
                {
                    continue;
                }

                matched = true;
                var groups = regex.GetGroupNames().Where(g => match.Groups[g].Success).ToDictionary(g => g, g => match.Groups[g].Value);
                var rcode = template.Block.FirstOrDefault(p => p.Name == "rcode")?.Args[0] ?? "NOERROR";
                IPAddress? address = null;
                foreach (var answer in template.Block.Where(p => p.Name == "answer"))
                {
                    var rr = Render(answer.Args[0], name, groups).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    Require(rr.Length == 5 && rr[0] == name && int.TryParse(rr[1], out _) && rr[2] == "IN" && rr[3] == "A", $"not an A record: {string.Join(' ', rr)}");
                    Require(IPAddress.TryParse(rr[4], out address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && rr[4].Count(c => c == '.') == 3, $"not an IPv4 address: {rr[4]}");
                }

                return new Answer(rcode, address);
            }

            if (!matched && !template.Block.Any(p => p.Name == "fallthrough"))
            {
                return new Answer("NXDOMAIN", null);
            }
        }

        return new Answer("SERVFAIL", null);
    }
}
