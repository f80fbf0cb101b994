using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>How messages name a view read through a member of another object.</summary>
internal sealed partial class ViewFlowAnalysis
{
    /// <summary>
    /// A field or property read through another object, named as the user wrote it
    /// (<c>manager.Memory</c>, <c>new PointerMemoryManager(...).Memory</c>), not by the member
    /// alone: <c>Memory</c> could be any of them.
    /// </summary>
    private static string NameOfMemberRead(IMemberReferenceOperation member)
    {
        var text = member.Syntax.ToString();
        if (text.Length <= 40 && text.IndexOf('\n') < 0)
        {
            return text;
        }

        var receiver = member.Instance!.WalkDownConversions() switch
        {
            IObjectCreationOperation { Type: { } type } => "new " + type.Name + "(...)",
            ILocalReferenceOperation local => local.Local.Name,
            IParameterReferenceOperation parameter => parameter.Parameter.Name,
            IMemberReferenceOperation inner => inner.Member.Name,
            _ => "(...)",
        };
        return receiver + "." + member.Member.Name;
    }
}
