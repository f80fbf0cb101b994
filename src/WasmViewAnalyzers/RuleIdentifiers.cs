namespace WasmViewAnalyzers;

/// <summary>Every diagnostic ID the package reports, and where its documentation lives.</summary>
internal static class RuleIdentifiers
{
    public const string StaleViewAfterGuestCall = "WVA001";

    public const string ViewEscapesMethod = "WVA002";

    public const string ViewHandedToDeferredArchiveWriter = "WVA003";

    public const string ViewWrittenToCompressor = "WVA004";

    public const string UnknownOptionName = "WVA005";

    public const string ReliabilityCategory = "Reliability";

    public const string ConfigurationCategory = "Configuration";

    private const string DocumentationRoot = "https://github.com/wasmviewanalyzers/WasmViewAnalyzers/blob/main/docs/rules/";

    public static string GetHelpUri(string id) => DocumentationRoot + id + ".md";
}
